"""`hkbot`, the one command line. Each area of the project registers its own commands."""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

# Each module defines `register(commands, bench)`. Keep their top-level imports
# light (no Rasa, no TensorFlow) so that `hkbot detect-language` starts fast;
# import heavy things inside the command functions.
COMMAND_MODULES = ("nlu.cli", "knowledge.cli", "bots.cli.commands", "privacy.cli", "console.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hkbot",
        description="Trilingual citizen-service chatbots for Hong Kong government departments.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    bench_parser = commands.add_parser("bench", help="benchmarks that print numbers")
    bench = bench_parser.add_subparsers(dest="target", metavar="TARGET", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:  # a real missing dependency, not an absent area
                raise
            continue
        module.register(commands, bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `hkbot ... | head` is fine
        return 0


if __name__ == "__main__":
    sys.exit(main())
