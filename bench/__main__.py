"""python -m bench --scale street|district|city [--runs N] [--only GROUP] [--json FILE] (see docs/PERFORMANCE.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.run import main


def cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="复工态势台 性能基准：生成街道/区/全市规模数据并计时")
    parser.add_argument("--scale", choices=["tiny", "street", "district", "city"], default="street")
    parser.add_argument("--runs", type=int, default=5, help="每项重复次数，取中位数")
    parser.add_argument("--pandas-runs", type=int, default=1, help="pandas 对照的重复次数（每次数十秒）")
    parser.add_argument("--only", action="append", choices=["ingest", "pandas", "regrade", "new_day", "pages", "lake"],
                        help="只测这几组（可重复；lake 需要 PostgreSQL，默认不测）")
    parser.add_argument("--workdir", type=Path, default=None, help="数据目录（默认 data/bench）")
    parser.add_argument("--json", type=Path, default=None, help="把全部结果写入此 JSON 文件")
    args = parser.parse_args(argv)
    return main(args.scale, args.runs, args.workdir, args.json, args.pandas_runs, args.only)


if __name__ == "__main__":
    sys.exit(cli())
