"""python -m server [--port 8501] [--address 127.0.0.1]: serve the console (FUGONG_DB names the database)."""

from __future__ import annotations

import argparse

from .app import build_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m server", description="复工态势台：启动控制台")
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--address", default="127.0.0.1", help="监听地址（默认只在本机）")
    args = parser.parse_args()
    build_app().run(config={"server.port": args.port, "server.address": args.address,
                            "server.headless": True, "browser.gatherUsageStats": False})


if __name__ == "__main__":
    main()
