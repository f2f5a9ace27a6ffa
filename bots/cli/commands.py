"""The bot commands of `hkbot`: train, serve, shell, eval, bench serve.

Each command imports its module only when run, so `hkbot --help` stays fast.
"""
from __future__ import annotations

import argparse
import importlib
from typing import Any, Callable


def _lazy(module: str, function: str) -> Callable[[argparse.Namespace], Any]:
    def run(args: argparse.Namespace) -> Any:
        return getattr(importlib.import_module(module), function)(args)

    return run


def register(commands: argparse._SubParsersAction, bench: argparse._SubParsersAction) -> None:
    train = commands.add_parser("train", help="train bots whose inputs changed (all by default)")
    train.add_argument("bots", nargs="*", metavar="BOT", help="bot names; all bots when omitted")
    train.add_argument("--force", action="store_true", help="train even when nothing changed")
    train.set_defaults(func=_lazy("bots.training.train", "train_command"))

    serve = commands.add_parser("serve", help="serve every bot in one process, with the action server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5005)
    serve.add_argument("--bots", nargs="*", metavar="BOT", help="serve only these bots")
    serve.set_defaults(func=_lazy("bots.server.app", "serve_command"))

    shell = commands.add_parser("shell", help="chat with one bot in the terminal")
    shell.add_argument("bot", metavar="BOT")
    shell.set_defaults(func=_lazy("bots.cli.shell", "shell_command"))

    evaluate = commands.add_parser("eval", help="run labelled cases through the bots and report accuracy")
    evaluate.add_argument("cases", metavar="CASES.yml")
    evaluate.add_argument("--bot", help="only the cases of this bot")
    evaluate.add_argument("--json", action="store_true", help="end with one JSON object for machines")
    evaluate.set_defaults(func=_lazy("bots.training.evaluate", "eval_command"))

    serve_bench = bench.add_parser("serve", help="one multi-bot process against plain `rasa run`")
    serve_bench.add_argument("--bot", help="the bot the load is put on (default: 1823, the largest)")
    serve_bench.add_argument("--conversations", type=int, default=20)
    serve_bench.add_argument("--messages", type=int, default=30,
                             help="messages per conversation (at most 30, the default: each conversation keeps its rate limit, HKBOT_SENDER_RATE)")
    serve_bench.set_defaults(func=_lazy("bots.bench.serve", "bench_serve_command"))

    load_bench = bench.add_parser("load", help="concurrent conversations against one server and two replicas on PostgreSQL + Redis")
    load_bench.add_argument("--conversations", type=int, default=50)
    load_bench.add_argument("--messages", type=int, default=20, help="messages per conversation")
    load_bench.add_argument("--bot", default="dog_licence")
    load_bench.set_defaults(func=_lazy("bots.bench.load", "bench_load_command"))
