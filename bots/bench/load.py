"""`hkbot bench load`: concurrent conversations against one server and against two replicas sharing PostgreSQL + Redis.

Localhost only and bounded: it starts its own throwaway PostgreSQL and Redis
(`scripts/services.sh`, when not already running) and two `hkbot serve` replicas of one
bot on 127.0.0.1, both on the same PostgreSQL database (trackers, knowledge) and Redis
(locks, change notices). Then N concurrent conversations of M messages each, first all
to replica A ("one server"; B idles), then alternating A/B per message, as a load
balancer without sticky sessions would. Each conversation asks about its own topic in
its own language; every reply is checked: recipient_id, topic, language and the exact
answer text must be its own conversation's, and afterwards every message must be in the
tracker store. Prints p50/p95/p99 latency, messages per second, errors and mismatches.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bots.bench.client import LoadClient
from bots.bench.serve import LoadResult, Process, _bin, _env, _free_port, tree_rss_mb
from bots.bench.services import LocalServices, ServicesUnavailable
from bots.training.train import ensure_trained
from hkbot.bot_config import load_bots
from knowledge.db_store import KnowledgeDatabase
from knowledge.live import reset_shared_store, shared_store
from nlu.script import to_simplified

LANGUAGES = ("en", "yue", "zh-Hant", "zh-Hans")


@dataclass(frozen=True)
class Script:
    """What one conversation says, and what every reply to it must be."""

    questions: tuple[str, ...]
    topic: str
    language: str
    answer: str


def expected_answer(entry: Any, language: str) -> str:
    """The answer text the bot sends for `entry` in `language` (yue reads Traditional, zh-Hans converted)."""
    if language == "en":
        return entry.answer["en"]
    traditional = entry.answer["zh-Hant"]
    return to_simplified(traditional) if language == "zh-Hans" else traditional


def question_variants(entry: Any, language: str) -> list[str]:
    if language == "zh-Hans":
        return [to_simplified(q) for q in entry.questions.get("zh-Hant", ())]
    return list(entry.questions.get(language, ()))


def _labelled(messages: list[dict]) -> list[dict]:
    return [m for m in messages if (m.get("metadata") or {}).get("label")]


def calibrate(url: str, bot: str, count: int, say: Any) -> list[Script]:
    """One script per conversation: topic x language pairs whose question variants the bot answers with that topic."""
    import httpx

    kbs = set(load_bots([bot])[bot].knowledge_bases)
    entries = [e for e in shared_store().entries() if e.kb in kbs]
    scripts: list[Script] = []
    with httpx.Client(timeout=60) as client:
        for number in range(count * 3):
            if len(scripts) == count:
                break
            entry = entries[number % len(entries)]
            language = LANGUAGES[number % len(LANGUAGES)]
            answer = expected_answer(entry, language)
            good = []
            for text in question_variants(entry, language)[:4]:
                reply = client.post(url, json={"sender": f"calibrate-{uuid.uuid4().hex[:8]}", "message": text}).json()
                labelled = _labelled(reply)
                if len(labelled) == 1 and labelled[0]["metadata"]["label"] == entry.id and labelled[0]["text"] == answer:
                    good.append(text)
                if len(good) == 2:
                    break
            if good:
                scripts.append(Script(tuple(good), entry.id, language, answer))
    if len(scripts) < count:
        raise RuntimeError(f"only {len(scripts)} of {count} conversations could be given a question the bot answers")
    say(f"  {len(scripts)} conversations: {len({s.topic for s in scripts})} topics x {len({s.language for s in scripts})} languages")
    return scripts


@dataclass
class Outcome(LoadResult):
    wrong: int = 0
    wrong_examples: tuple = ()
    first_ms: list = field(default_factory=list)  # each conversation's first message (a new tracker)

    def first_p50(self) -> float:
        ordered = sorted(self.first_ms)
        return ordered[len(ordered) // 2] if ordered else float("nan")


async def _run(urls: list[str], scripts: list[Script], messages: int, tag: str) -> tuple[Outcome, list[str]]:
    outcome = Outcome()
    examples: list[str] = []
    senders = [f"load-{tag}-{n}-{uuid.uuid4().hex[:6]}" for n in range(len(scripts))]
    async with LoadClient(len(scripts) * len(urls)) as client:

        async def conversation(number: int) -> None:
            script, sender = scripts[number], senders[number]
            for turn in range(messages):
                url = urls[(number + turn) % len(urls)]  # a load balancer without sticky sessions
                began = time.perf_counter()
                status, body = await client.post_json(url, {"sender": sender, "message": script.questions[turn % len(script.questions)]})
                if status != 200 or not isinstance(body, list):
                    body = None
                outcome.latencies_ms.append((time.perf_counter() - began) * 1000)
                if turn == 0:
                    outcome.first_ms.append(outcome.latencies_ms[-1])
                if not body:
                    outcome.errors += 1
                    continue
                labelled = _labelled(body)
                mine = (
                    all(m.get("recipient_id") == sender for m in body)
                    and len(labelled) == 1
                    and labelled[0]["metadata"]["label"] == script.topic
                    and labelled[0]["metadata"]["language"] == script.language
                    and labelled[0]["text"] == script.answer
                )
                if not mine:
                    outcome.wrong += 1
                    if len(examples) < 3:
                        examples.append(f"{sender} turn {turn}: expected {script.topic}/{script.language}, got {body!r:.300}")

        for url in urls:  # warm-up, not counted
            await client.post_json(url, {"sender": f"warm-{tag}-{uuid.uuid4().hex[:6]}", "message": "hello"})
        began = time.perf_counter()
        await asyncio.gather(*(conversation(n) for n in range(len(scripts))))
        outcome.seconds = time.perf_counter() - began
    outcome.wrong_examples = tuple(examples)
    return outcome, senders


def stored_counts(database_url: str, bot: str, senders: list[str]) -> int:
    """How many user messages of these conversations the shared tracker store holds."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(
                sa.text("SELECT count(*) FROM events WHERE type_name = 'user' AND sender_id IN :keys").bindparams(sa.bindparam("keys", expanding=True)),
                {"keys": [f"{bot}:{s}" for s in senders]},
            ).scalar())
    finally:
        engine.dispose()


def row(label: str, outcome: Outcome, stored: int, expected: int) -> str:
    return (f"{label:<22} {outcome.percentile(50):>7.0f} {outcome.percentile(95):>7.0f} {outcome.percentile(99):>7.0f} "
            f"{outcome.first_p50():>9.0f} {outcome.per_second:>7.1f} {outcome.errors:>6} {outcome.wrong:>6} {stored:>5}/{expected}")


def bench_load_command(args: argparse.Namespace) -> int:
    """`hkbot bench load [--conversations 50] [--messages 20] [--bot dog_licence]`."""
    def say(text: str) -> None:
        print(text, flush=True)

    conversations, messages, bot = max(1, min(args.conversations, 200)), max(1, min(args.messages, 100)), args.bot
    say(f"hkbot bench load: {conversations} concurrent conversations x {messages} messages, bot {bot}, localhost only")
    ensure_trained([bot])
    try:
        services = LocalServices.ensure()
    except ServicesUnavailable as error:
        print(f"hkbot bench load: {error}. Install them with `scripts/services.sh install` (root).")
        return 1
    replicas: list[Process] = []
    bases: list[str] = []  # each replica's base URL, in the order of `replicas`
    try:
        database_url = services.new_database("hkbot_bench")
        KnowledgeDatabase(database_url)
        scratch = Path(tempfile.mkdtemp(prefix="hkbot-bench-load-"))
        shared = services.replica_env(scratch, database_url)
        for name in ("a", "b"):
            (scratch / name).mkdir()
            port = _free_port()
            env = {**_env(scratch / name), **shared}
            process = Process(f"replica {name}", [_bin("hkbot"), "serve", "--port", str(port), "--bots", bot], env, scratch / f"{name}.log")
            replicas.append(process.start())
            bases.append(f"http://127.0.0.1:{port}")
        with ThreadPoolExecutor(2) as pool:
            starts = list(pool.map(lambda p, base: p.wait_http(f"{base}/health"), replicas, bases))
        say(f"  two replicas up in {max(starts):.0f} s (started side by side), PostgreSQL + Redis from scripts/services.sh")
        webhooks = [f"{base}/bots/{bot}/webhooks/rest/webhook" for base in bases]
        os.environ["HKBOT_KNOWLEDGE_DB"] = database_url  # calibrate against the knowledge the replicas serve
        scripts = calibrate(webhooks[0], bot, conversations, say)

        results = []
        for label, urls, tag in (("one server", webhooks[:1], "one"), ("two replicas (A/B)", webhooks, "two")):
            say(f"  running: {label}…")
            outcome, senders = asyncio.run(_run(urls, scripts, messages, tag))
            results.append((label, outcome, stored_counts(database_url, bot, senders)))
        memory = [tree_rss_mb(p.popen.pid) for p in replicas]
        load = os.getloadavg()
    finally:
        reset_shared_store()  # stop watching the database before it is dropped
        for process in replicas:
            process.stop()
        services.close()

    total = conversations * messages
    say("")
    say(f"{conversations} conversations x {messages} messages = {total} per run; latency in ms; "
        f"load average {load[0]:.1f} on {os.cpu_count()} cores; replicas' memory {memory[0]:.0f} + {memory[1]:.0f} MiB")
    say(f"{'setup':<22} {'p50':>7} {'p95':>7} {'p99':>7} {'1st p50':>9} {'msg/s':>7} {'errors':>6} {'wrong':>6} {'stored':>11}")
    failed = False
    for label, outcome, stored in results:
        say(row(label, outcome, stored, total))
        for example in outcome.wrong_examples:
            say(f"    wrong: {example}")
        failed |= bool(outcome.errors or outcome.wrong or stored != total)
    say("1st p50 = median latency of each conversation's first message (a new conversation: session start and a new tracker)")
    say("errors = HTTP failures or timeouts; wrong = a reply not addressed to, or not answering, its own conversation; "
        "stored = user messages found in the shared PostgreSQL tracker store")
    return 1 if failed else 0
