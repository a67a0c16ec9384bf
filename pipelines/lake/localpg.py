"""A private PostgreSQL server for tests, the local cluster and the benchmark (never for production).

Debian's packages put the server binaries under /usr/lib/postgresql/<major>/bin. As root the server runs as the
`postgres` user (PostgreSQL refuses to run as root); otherwise as the current user. Data directory, socket
directory and log live under one directory of ours; the server listens on 127.0.0.1 and a private port only,
and is stopped with its own `pg_ctl stop`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PG_ROOT = Path("/usr/lib/postgresql")


class PostgresUnavailable(RuntimeError):
    """PostgreSQL is not installed and cannot be installed here."""


def pg_bin_dir() -> Path | None:
    """The newest installed server's bin directory, or None."""
    found = sorted((p for p in PG_ROOT.glob("*/bin") if (p / "pg_ctl").exists()),
                   key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    return found[-1] if found else None


def ensure_postgres() -> Path:
    """The server's bin directory, installing Debian's postgresql package first when root and missing."""
    found = pg_bin_dir()
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise PostgresUnavailable("PostgreSQL 未安装，且当前用户不能用 apt-get 安装（需要 root）")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "postgresql"]):
        result = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if result.returncode != 0:
            raise PostgresUnavailable(f"apt-get 安装 PostgreSQL 失败：{result.stderr.strip()[-400:]}")
    found = pg_bin_dir()
    if not found:
        raise PostgresUnavailable("安装了 postgresql 软件包，但找不到 /usr/lib/postgresql/*/bin/pg_ctl")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalPostgres:
    """One private server: `start()`, `create_database()`, `dsn()`, `stop()`."""

    root: Path
    port: int
    bin_dir: Path

    @classmethod
    def create(cls, root: Path | None = None, port: int | None = None) -> LocalPostgres:
        bin_dir = ensure_postgres()
        root = Path(root or tempfile.mkdtemp(prefix="fugong-pg-"))
        root.mkdir(parents=True, exist_ok=True)
        saved = root / "port"  # a server already set up here keeps its port
        if port is None and saved.exists():
            port = int(saved.read_text())
        port = port or free_port()
        saved.write_text(str(port))
        return cls(root=root, port=port, bin_dir=bin_dir)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    @property
    def log_file(self) -> Path:
        return self.root / "postgres.log"

    @property
    def user(self) -> str:
        return "postgres" if os.geteuid() == 0 else (os.environ.get("USER") or "postgres")

    def _run(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd="/")
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {result.stdout[-800:]} {result.stderr[-800:]}")
        return result

    def start(self) -> LocalPostgres:
        """Start the server (creating its data directory the first time); a running server is left as it is."""
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.socket_dir, "postgres", "postgres")
            self.root.chmod(0o700)
        if not (self.data_dir / "PG_VERSION").exists():
            self._run("initdb", "-D", str(self.data_dir), "-U", self.user, "--auth=trust", "-E", "UTF8",
                      "--locale=C.UTF-8", "--no-sync")
        elif self.running():
            return self
        options = (f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "start", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "60",
                  "-o", options)
        return self

    def running(self) -> bool:
        return self._run("pg_ctl", "status", "-D", str(self.data_dir), check=False).returncode == 0

    def stop(self, mode: str = "fast") -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", mode, "-w", "-t", "60", check=False)

    def restart(self) -> None:
        self.stop()
        self.start()

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        return self._run("psql", "-X", "-q", "-t", "-A", "-h", str(self.socket_dir), "-p", str(self.port),
                         "-U", self.user, "-d", dbname, "-v", "ON_ERROR_STOP=1", "-c", sql).stdout

    def create_database(self, name: str) -> str:
        """Create the database (once) and return its DSN."""
        if not name.replace("_", "").isalnum():
            raise ValueError("database names here are plain identifiers")
        exists = self.psql(f"select 1 from pg_database where datname = '{name}'").strip()
        if not exists:
            self.psql(f'create database "{name}"')
        return self.dsn(name)

    def dsn(self, dbname: str) -> str:
        return f"dbname={dbname} host={self.socket_dir} port={self.port} user={self.user}"

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._run("pg_isready", "-h", str(self.socket_dir), "-p", str(self.port), check=False).returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("PostgreSQL did not become ready")

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
