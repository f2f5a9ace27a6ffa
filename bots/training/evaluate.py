"""`hkbot eval CASES.yml [--bot BOT] [--json]`: labelled citizen phrasings through the real bots.

Each case runs through the same agents and in-process actions as `hkbot serve`,
in a fresh conversation. The predicted label is the `label` in the metadata of the
first bot message that has one (the topic answered, the shared intent handled,
`out_of_scope` for a fallback, a clarifying question's first option).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable

import yaml

from bots.server.logs import configure_logging
from bots.training.train import TrainingError
from hkbot.bot_config import BotConfigError
from knowledge.live import shared_store
from knowledge.store import refusal_line

#: `hkbot eval`'s exit code when the cases ran but a knowledge file was refused (1: they could not run).
KNOWLEDGE_REFUSED = 2
NO_LABEL = "(no label)"
NO_REPLY = "(no reply)"
CASE_KEYS = ("bot", "text", "expect", "lang")


class CasesError(ValueError):
    """A case file that cannot be run; the message names the file and the case."""


@dataclass(frozen=True)
class Case:
    bot: str
    text: str
    expect: str
    lang: str


@dataclass(frozen=True)
class Outcome:
    bot: str
    text: str
    lang: str
    expect: str
    got: str

    @property
    def correct(self) -> bool:
        return self.got == self.expect


def load_cases(path: Path) -> list[Case]:
    """Cases from a YAML list (or a map with a `cases:` list) of {bot, text, expect, lang}."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CasesError(f"{path}: file not found") from None
    except yaml.YAMLError as error:
        raise CasesError(f"{path}: not valid YAML: {error}") from None
    if isinstance(data, dict):
        data = data.get("cases")
    if not isinstance(data, list):
        raise CasesError(f"{path}: expected a list of cases, each {{bot, text, expect, lang}}")
    cases = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise CasesError(f"{path}: case {number} is not a map")
        missing = [key for key in CASE_KEYS if not isinstance(item.get(key), (str, int)) or not str(item.get(key)).strip()]
        if missing:
            raise CasesError(f"{path}: case {number} needs a non-empty {missing[0]!r}")
        cases.append(Case(*(str(item[key]) for key in CASE_KEYS)))
    return cases


def predicted_label(messages: Iterable[dict[str, Any]]) -> str:
    """The label of the first bot message whose metadata has one."""
    messages = list(messages)
    for message in messages:
        label = (message.get("metadata") or {}).get("label")
        if label:
            return str(label)
    return NO_LABEL if messages else NO_REPLY


async def run_cases(runtimes: dict[str, Any], cases: list[Case], progress: Any = None) -> list[Outcome]:
    """Each case in a fresh conversation of its bot, through the server's own message handling."""
    # start-up: Rasa (and TensorFlow) load once the command has quietened their logs
    from rasa.core.channels.channel import UserMessage

    from bots.runtime.agents import handle_message
    from connectors.rest import MessageCollector

    outcomes = []
    for number, case in enumerate(cases, start=1):
        collector = MessageCollector()
        sender = f"eval-{uuid.uuid4().hex}"
        await handle_message(runtimes[case.bot], UserMessage(case.text, collector, sender, input_channel="eval"))
        outcomes.append(Outcome(case.bot, case.text, case.lang, case.expect, predicted_label(collector.messages)))
        if progress and number % 50 == 0:
            progress(f"  {number}/{len(cases)} cases")
    return outcomes


def _accuracy(outcomes: list[Outcome]) -> float:
    return round(sum(o.correct for o in outcomes) / len(outcomes), 4) if outcomes else 0.0


def _groups(outcomes: list[Outcome], key: str) -> dict[str, list[Outcome]]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        groups[getattr(outcome, key)].append(outcome)
    return dict(sorted(groups.items()))


def summarise(outcomes: list[Outcome]) -> dict[str, Any]:
    """The report as one JSON-ready object."""
    return {
        "total": len(outcomes),
        "correct": sum(o.correct for o in outcomes),
        "accuracy": _accuracy(outcomes),
        "by_lang": {k: _accuracy(v) for k, v in _groups(outcomes, "lang").items()},
        "by_bot": {k: _accuracy(v) for k, v in _groups(outcomes, "bot").items()},
        "by_expect": {k: _accuracy(v) for k, v in _groups(outcomes, "expect").items()},
        "failures": [asdict(o) for o in outcomes if not o.correct],
    }


def _table(title: str, outcomes: list[Outcome], key: str) -> list[str]:
    lines = [title]
    for name, group in _groups(outcomes, key).items():
        right = sum(o.correct for o in group)
        lines.append(f"  {name:<36} {100 * right / len(group):6.1f}%  ({right}/{len(group)})")
    return lines


def report(outcomes: list[Outcome]) -> str:
    """The human-readable report: overall, per language, per bot, per expected label, failures."""
    summary = summarise(outcomes)
    lines = [f"accuracy {100 * summary['accuracy']:.1f}%  ({summary['correct']}/{summary['total']})", ""]
    lines += _table("by language:", outcomes, "lang") + [""]
    lines += _table("by bot:", outcomes, "bot") + [""]
    lines += _table("by expected label:", outcomes, "expect") + [""]
    failures = [o for o in outcomes if not o.correct]
    lines.append(f"failures ({len(failures)}):")
    for o in failures:
        lines.append(f"  [{o.bot}] {o.lang:<7} expect {o.expect}  got {o.got}  | {o.text}")
    return "\n".join(lines)


def eval_command(args: argparse.Namespace) -> int:
    """`hkbot eval CASES.yml [--bot BOT] [--json]`."""
    configure_logging("WARNING")
    from bots.runtime.agents import load_runtimes  # after configure_logging(): Rasa and TensorFlow import quietly

    say = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731 - progress off stdout
    try:
        cases = load_cases(Path(args.cases))
        if args.bot:
            cases = [case for case in cases if case.bot == args.bot]
        if not cases:
            raise CasesError(f"{args.cases}: no cases{' for bot ' + args.bot if args.bot else ''}")
        runtimes = load_runtimes(sorted({case.bot for case in cases}), progress=say, in_memory=True)
    except (CasesError, BotConfigError, TrainingError, RuntimeError) as error:
        print(f"hkbot eval: {error}", file=sys.stderr)
        return 1
    configure_logging("WARNING")
    say(f"running {len(cases)} cases on {', '.join(runtimes)}…")
    outcomes = asyncio.run(run_cases(runtimes, cases, progress=say))
    refusals = knowledge_refusals()
    print(report(outcomes))
    if args.json:
        print(json.dumps({**summarise(outcomes), "knowledge_refused": [r.knowledge_base for r in refusals]}, ensure_ascii=False))
    if refusals:  # the scores above were measured without that knowledge: say so last, and fail
        sys.stdout.flush()
        print(f"hkbot eval: {refusal_line(refusals)}", file=sys.stderr, flush=True)
        return KNOWLEDGE_REFUSED
    return 0


def knowledge_refusals() -> list[Any]:
    """The knowledge bases the bots' knowledge store refused (the one every bot of this process reads)."""
    return shared_store().refusals()
