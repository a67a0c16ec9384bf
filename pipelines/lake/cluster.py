"""A whole console on this machine, as it runs across several: PostgreSQL (the lake's catalog), N app servers
on one DuckLake, nginx in front with sticky sessions. Everything listens on 127.0.0.1 only.

    python -m pipelines cluster [--dir data/cluster] [--port 8080] [--servers 2]    (make cluster)

For a demo and for the tests (tests/test_cluster.py); production uses deploy/nginx and deploy/systemd.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.lake.localpg import LocalPostgres, free_port

ROOT = Path(__file__).resolve().parents[2]
NGINX = "/usr/sbin/nginx"

NGINX_LOCAL = """\
daemon off;
worker_processes 1;
{user}pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    client_max_body_size 200m;

    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    map $cookie_fugong_node $fugong_node {{ "" $request_id; default $cookie_fugong_node; }}
    map $cookie_fugong_node $fugong_node_cookie {{
        "" "fugong_node=$request_id; Path=/; HttpOnly; SameSite=Lax";
        default "";
    }}
    upstream fugong_app {{
        hash $fugong_node consistent;
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://fugong_app;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;  # with the port: the login form checks Origin against it
            proxy_read_timeout 1d;
            proxy_send_timeout 1d;
            proxy_buffering off;
            proxy_next_upstream error timeout http_502 http_503;
            add_header Set-Cookie $fugong_node_cookie always;
            add_header X-Fugong-Upstream $upstream_addr always;   # local cluster only: which server answered
        }}
    }}
}}
"""


def nginx_config(prefix: Path, port: int, upstreams: list[int]) -> str:
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in upstreams)
    user = "user root;\n" if os.geteuid() == 0 else ""  # local demo only: workers write the prefix's temp dirs
    return NGINX_LOCAL.format(prefix=prefix, port=port, servers=servers, user=user)


def ensure_nginx() -> str:
    if Path(NGINX).exists():
        return NGINX
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-q", "nginx-light"], capture_output=True, env=env)
        if not Path(NGINX).exists():
            subprocess.run(["apt-get", "install", "-y", "-q", "nginx"], capture_output=True, env=env)
    if not Path(NGINX).exists():
        raise RuntimeError("nginx 未安装（apt-get install nginx）")
    return NGINX


def wait_http(url: str, timeout: float = 90, proc: subprocess.Popen | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if (proc is not None and proc.poll() is not None) or time.monotonic() > deadline:
                text = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
                raise RuntimeError(f"{url} did not come up: {text}") from None
            time.sleep(0.2)


@dataclass
class AppServer:
    port: int
    proc: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_app(address: str, lake_data: Path, log_dir: Path, port: int | None = None,
              env: dict[str, str] | None = None) -> AppServer:
    port = port or free_port()
    environment = {**os.environ, **(env or {}), "FUGONG_DB": address, "FUGONG_LAKE_DATA": str(lake_data)}
    log = log_dir / f"app-{port}.log"
    handle = log.open("w")
    proc = subprocess.Popen(  # as `make run` serves it: st.App with the login cookie (issue 14)
        [sys.executable, "-m", "server", "--port", str(port), "--address", "127.0.0.1"],
        cwd=ROOT, env=environment, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    handle.close()
    server = AppServer(port, proc, log)
    wait_http(f"{server.url}/_stcore/health", proc=proc, log=log)
    return server


def stop_process(proc: subprocess.Popen, kill: bool = False) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@dataclass
class Cluster:
    root: Path
    postgres: LocalPostgres
    address: str
    lake_data: Path
    apps: list[AppServer] = field(default_factory=list)
    nginx: subprocess.Popen | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.nginx is not None:
            stop_process(self.nginx)
        for app in self.apps:
            stop_process(app.proc)
        self.postgres.stop()


def start_postgres_lake(root: Path, database: str = "fugong", pg_root: Path | None = None
                        ) -> tuple[LocalPostgres, str, Path]:
    """PostgreSQL under pg_root (default root/pg; the postgres user must be able to reach it) and the lake's
    data directory root/lake; returns (server, address, data)."""
    postgres = LocalPostgres.create(pg_root or root / "pg").start()
    dsn = postgres.create_database(database)
    data = root / "lake"
    data.mkdir(parents=True, exist_ok=True)
    return postgres, "ducklake:postgres:" + dsn, data


def start_cluster(root: Path, port: int | None = None, servers: int = 2, sample_scale: float | None = 1.0,
                  env: dict[str, str] | None = None, pg_root: Path | None = None) -> Cluster:
    """PostgreSQL, the lake (with the sample data at this scale unless None or already there), the app
    servers and nginx; stop it with Cluster.stop()."""
    root.mkdir(parents=True, exist_ok=True)
    postgres, address, data = start_postgres_lake(root, pg_root=pg_root)
    cluster = Cluster(root, postgres, address, data, port=port or free_port())
    try:
        if sample_scale is not None:
            subprocess.run([sys.executable, "-m", "pipelines", "--db", address, "--lake-data", str(data),
                            "sample", "--if-absent", "--scale", str(sample_scale)],
                           cwd=ROOT, check=True, env={**os.environ, **(env or {})})
        logs = root / "logs"
        logs.mkdir(exist_ok=True)
        for _ in range(servers):
            cluster.apps.append(start_app(address, data, logs, env=env))
        prefix = root / "nginx"
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (prefix / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        conf = prefix / "nginx.conf"
        conf.write_text(nginx_config(prefix, cluster.port, [a.port for a in cluster.apps]), encoding="utf-8")
        log = prefix / "nginx.out"
        with log.open("w") as handle:
            cluster.nginx = subprocess.Popen([ensure_nginx(), "-p", str(prefix), "-c", str(conf)],
                                             stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        wait_http(f"{cluster.url}/_stcore/health", timeout=30, proc=cluster.nginx, log=log)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _stop_on_sigterm(*_args: object) -> None:
    raise KeyboardInterrupt  # systemd, timeout and kill stop the cluster as Ctrl+C does: children included


def main(root: Path, port: int, servers: int, sample_scale: float | None = 1.0) -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    cluster = start_cluster(root, port, servers, sample_scale=sample_scale)
    print(f"复工态势台集群已启动：{cluster.url}  （nginx → {', '.join(a.url for a in cluster.apps)}）")
    print(f"  DuckLake 目录库：{cluster.address}\n  数据目录：{cluster.lake_data}\n  按 Ctrl+C 停止")
    try:
        while all(a.proc.poll() is None for a in cluster.apps) and cluster.nginx.poll() is None:
            time.sleep(1)
        print("有进程意外退出，正在停止集群", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        cluster.stop()
