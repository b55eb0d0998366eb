"""Command line: ``screening review|triage|listen|serve|...``.

Each sub-command lives in its own module with ``register(subparsers)``; this file
only wires them together.  Errors are printed in Chinese with a non-zero exit code,
never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from screening import __version__
from screening.errors import CliError  # noqa: F401  (re-exported for sub-commands)

# module name -> each exposes register(subparsers) that sets a ``func`` default
COMMAND_MODULES = [
    "screening.cli_review",
    "screening.cli_serve",
    "screening.cli_triage",
    "screening.cli_listen",
    "screening.cli_train",
    "screening.cli_keys",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="screening", description="直播电商合规审核工具 (live-commerce compliance screening)")
    parser.add_argument("--version", action="version", version=f"screening {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # feature not built yet
            raise
        mod.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
