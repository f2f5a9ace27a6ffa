"""`hkbot bench serve`: one multi-bot `hkbot serve` against plain `rasa run`, side by side, in one run.

Measured on localhost only, one side at a time so they never share the CPU:
  - start-up time and memory (RSS of the process and its children) of the three bots in one
    `hkbot serve`, against three plain `rasa run` processes, each with its own `rasa run actions`
    (counted in the plain figure, and shown apart);
  - latency p50/p95 and messages per second with N concurrent conversations (bots/bench/client.py,
    the same client for both) against one bot (`--bot`, the 1823 bot and its 13 knowledge bases by
    default) of our server and a plain `rasa run` of the same bot.
"Plain Rasa" is what a department would run without hkbot: the same bot's domain and data,
trained with Rasa's recommended default pipeline and policies for Chinese (PLAIN_CONFIG).
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bots.bench.client import LoadClient
from bots.registry.project import compose
from bots.training.train import ensure_trained
from hkbot.bot_config import bot_names, load_bots
from hkbot.settings import PROJECT_ROOT, var_dir

PLAIN_CONFIG = """\
# Rasa's recommended default config (rasa/engine/recipes/config_files/default_config.yml),
# with the Chinese tokenizer Rasa documents for language zh.
recipe: default.v1
language: zh
assistant_id: plain_rasa
pipeline:
  - name: JiebaTokenizer
  - name: RegexFeaturizer
  - name: LexicalSyntacticFeaturizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: 100
    constrain_similarities: true
  - name: EntitySynonymMapper
  - name: ResponseSelector
    epochs: 100
    constrain_similarities: true
  - name: FallbackClassifier
    threshold: 0.3
    ambiguity_threshold: 0.1
policies:
  - name: MemoizationPolicy
  - name: RulePolicy
  - name: TEDPolicy
    max_history: 5
    epochs: 100
    constrain_similarities: true
"""
#: The bot the load is put on when `--bot` is not given: the largest one.
LOAD_BOT = "1823"
#: What the simulated citizens type, in turn, per load bot (each conversation starts at a different place).
MESSAGES: dict[str, tuple[str, ...]] = {
    "dog_licence": (
        "hello",
        "How much does a dog licence cost?",
        "狗牌幾錢呀",
        "如何續領犬隻牌照",
        "what documents do I need for a dog licence",
        "我想renew個dog licence",
        "thanks",
        "你係咪真人",
        "where can I apply",
        "唔該晒",
    ),
    # Questions across the 1823 bot's departments, in its four languages, with small talk between.
    "1823": (
        "hello",
        "how do I pay my water bill",
        "公屋輪候要幾耐",
        "如何申請綜合社會保障援助",
        "my neighbour is too noisy at night",
        "狗牌幾錢呀",
        "差饷怎么交",
        "thanks",
        "我想renew個身份證",
        "where can I recycle old electrical appliances",
        "僱主唔俾假期工資點算",
        "你係咪真人",
        "how do I report a dangerous lift",
        "申請食肆牌照要咩文件",
        "唔該晒",
    ),
}


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ----------------------------------------------------------------------------- processes


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:
            pass
    return found


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MiB."""
    total_kb, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
        pending += _children(current)
    return total_kb / 1024


@dataclass
class Process:
    """A process this benchmark started (in its own process group, so it is stopped with its children)."""

    label: str
    command: list[str]
    env: dict[str, str]
    log: Path
    popen: Any = None
    started: float = 0.0

    def start(self) -> "Process":
        self.started = time.monotonic()
        self.popen = subprocess.Popen(self.command, env=self.env, cwd=PROJECT_ROOT, stdout=open(self.log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def wait_http(self, url: str, timeout: float = 600) -> float:
        """Seconds from start until `url` answers 200."""
        import httpx

        while time.monotonic() - self.started < timeout:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.label} exited ({self.popen.returncode}); log: {self.log}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return time.monotonic() - self.started
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"{self.label} did not answer {url} within {timeout} s; log: {self.log}")

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)  # the group of the process we started
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()


# ----------------------------------------------------------------------------- load


@dataclass
class LoadResult:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies_ms)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


async def _load(url: str, conversations: int, messages: int, tag: str, texts: tuple[str, ...]) -> LoadResult:
    result = LoadResult()
    async with LoadClient(conversations) as client:

        async def conversation(number: int) -> None:
            sender = f"bench-{tag}-{number}"
            for turn in range(messages):
                text = texts[(number + turn) % len(texts)]
                began = time.perf_counter()
                status, body = await client.post_json(url, {"sender": sender, "message": text})
                result.latencies_ms.append((time.perf_counter() - began) * 1000)
                if status != 200 or not body:
                    result.errors += 1

        await client.post_json(url, {"sender": f"warm-{tag}", "message": "hello"})  # warm-up, not counted
        began = time.perf_counter()
        await asyncio.gather(*(conversation(n) for n in range(conversations)))
        result.seconds = time.perf_counter() - began
    return result


def load_test(url: str, conversations: int, messages: int, tag: str, bot: str) -> LoadResult:
    return asyncio.run(_load(url, conversations, messages, tag, MESSAGES.get(bot, MESSAGES[LOAD_BOT])))


# ----------------------------------------------------------------------------- plain Rasa


def plain_fingerprint(domain: Path, data: Path) -> str:
    """What a plain Rasa model depends on: PLAIN_CONFIG and the content of the domain and data files.

    Plain Rasa uses none of our code. YAML files count by their parsed content, so an edited comment
    does not force a retraining that takes minutes (the 1823 bot's ~18).
    """
    digest = hashlib.sha256(PLAIN_CONFIG.encode())
    for path in sorted([*domain.iterdir(), *data.iterdir()]):
        content = path.read_bytes()
        if path.suffix in (".yml", ".yaml"):
            content = json.dumps(yaml.safe_load(content), sort_keys=True, ensure_ascii=False, default=str).encode()
        digest.update(path.name.encode() + b"\0" + content)
    return digest.hexdigest()[:16]


def plain_models(bots: list[str], say: Any) -> dict[str, Path]:
    """Each bot's composed domain and data trained with PLAIN_CONFIG (cached by fingerprint under var/bench/)."""
    folder = var_dir() / "bench" / "plain"
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yml"
    config.write_text(PLAIN_CONFIG, encoding="utf-8")
    models = {}
    for bot in load_bots(bots).values():
        project = compose(bot)
        digest = plain_fingerprint(project.domain, project.data)
        target = folder / f"{bot.name}-plain-{digest}.tar.gz"
        if not target.is_file():
            say(f"  training plain Rasa model for {bot.name} (rasa train, default config)…")
            began = time.monotonic()
            run = subprocess.run(
                [_bin("rasa"), "train", "--config", str(config), "--domain", str(project.domain), "--data", str(project.data),
                 "--out", str(folder), "--fixed-model-name", target.name.removesuffix(".tar.gz")],
                cwd=folder, capture_output=True, text=True, env={**os.environ, "RASA_CACHE_DIRECTORY": str(folder / "cache")},
            )
            if run.returncode != 0 or not target.is_file():
                raise RuntimeError(f"rasa train failed for {bot.name}:\n{run.stdout[-1500:]}\n{run.stderr[-1500:]}")
            say(f"  … done in {time.monotonic() - began:.0f} s")
        models[bot.name] = target
    return models


# ----------------------------------------------------------------------------- the run


def _env(data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HKBOT_DATA_DIR": str(data_dir),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "HKBOT_LOG_LEVEL": "WARNING",
        # Every simulated citizen comes from 127.0.0.1: a per-address limit would throttle the
        # load generator itself (HTTP 429). Each conversation's own limit stays on.
        "HKBOT_ADDRESS_RATE": "0",
        "HKBOT_ADDRESS_NEW_RATE": "0",  # nor may its new-conversation budget (it starts one per simulated citizen)
    }


def bench_ours(bots: list[str], load_bot: str, scratch: Path, conversations: int, messages: int, say: Any) -> dict[str, Any]:
    port = _free_port()
    server = Process("hkbot serve", [_bin("hkbot"), "serve", "--port", str(port), "--bots", *bots], _env(scratch / "ours"), scratch / "ours.log")
    (scratch / "ours").mkdir()
    try:
        start_seconds = server.start().wait_http(f"http://127.0.0.1:{port}/health")
        say(f"  hkbot serve up in {start_seconds:.1f} s")
        load = load_test(f"http://127.0.0.1:{port}/bots/{load_bot}/webhooks/rest/webhook", conversations, messages, "ours", load_bot)
        memory = tree_rss_mb(server.popen.pid)
    finally:
        server.stop()
    return {"start_s": start_seconds, "memory_mb": memory, "processes": 1, "load": load}


def bench_plain(models: dict[str, Path], load_bot: str, scratch: Path, conversations: int, messages: int, say: Any) -> dict[str, Any]:
    processes: list[Process] = []
    starts: dict[str, float] = {}
    rasa_mb = actions_mb = 0.0
    try:
        for bot, model in models.items():
            folder = scratch / f"plain-{bot}"
            folder.mkdir()
            action_port, port = _free_port(), _free_port()
            (folder / "endpoints.yml").write_text(f"action_endpoint:\n  url: http://127.0.0.1:{action_port}/webhook\n")
            (folder / "credentials.yml").write_text("rest:\n")
            actions = Process(f"rasa run actions ({bot})", [_bin("rasa"), "run", "actions", "--actions", "actions", "--port", str(action_port)], _env(folder), folder / "actions.log")
            rasa = Process(f"rasa run ({bot})", [_bin("rasa"), "run", "-m", str(model), "--endpoints", str(folder / "endpoints.yml"), "--credentials", str(folder / "credentials.yml"), "--port", str(port)], _env(folder), folder / "rasa.log")
            processes += [actions.start(), rasa.start()]
            # A bot is up when both its Rasa server and its action server answer.
            action_up = actions.wait_http(f"http://127.0.0.1:{action_port}/health")
            rasa_up = rasa.wait_http(f"http://127.0.0.1:{port}/webhooks/rest/")
            starts[bot] = max(action_up, rasa_up)
            say(f"  rasa run {bot} up in {starts[bot]:.1f} s (its action server: {action_up:.1f} s)")
            if bot == load_bot:
                load_url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
        load = load_test(load_url, conversations, messages, "plain", load_bot)
        for process in processes:
            mb = tree_rss_mb(process.popen.pid)
            if "actions" in process.label:
                actions_mb += mb
            else:
                rasa_mb += mb
    finally:
        for process in processes:
            process.stop()
    return {"start_s": sum(starts.values()), "starts": starts, "memory_mb": rasa_mb + actions_mb, "rasa_mb": rasa_mb, "actions_mb": actions_mb, "processes": len(processes), "load": load}


def table(ours: dict[str, Any], plain: dict[str, Any], bots: list[str], load_bot: str, conversations: int, messages: int) -> str:
    o, p = ours["load"], plain["load"]
    rows = [
        ("", "hkbot serve (1 process)", f"plain rasa run ({plain['processes']} processes)", "ratio"),
        ("bots", str(len(bots)), str(len(bots)), ""),
        ("memory, RSS incl. children", f"{ours['memory_mb']:.0f} MiB", f"{plain['memory_mb']:.0f} MiB ({plain['rasa_mb']:.0f} rasa run + {plain['actions_mb']:.0f} rasa run actions)", f"{ours['memory_mb'] / plain['memory_mb']:.2f}×"),
        ("start-up", f"{ours['start_s']:.1f} s", f"{plain['start_s']:.1f} s (sum of {len(bots)}, one after another)", f"{ours['start_s'] / plain['start_s']:.2f}×"),
        (f"{load_bot}: msgs/s, {conversations} conv × {messages} msgs", f"{o.per_second:.1f}", f"{p.per_second:.1f}", f"{o.per_second / p.per_second:.2f}×" if p.per_second else ""),
        ("latency p50", f"{o.percentile(50):.0f} ms", f"{p.percentile(50):.0f} ms", ""),
        ("latency p95", f"{o.percentile(95):.0f} ms", f"{p.percentile(95):.0f} ms", ""),
        ("errors (non-200 or empty reply)", f"{o.errors}/{o.count}", f"{p.errors}/{p.count}", ""),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows)


def bench_serve_command(args: argparse.Namespace) -> int:
    """`hkbot bench serve [--bot BOT] [--conversations N] [--messages M]`."""
    say = lambda line: print(line, flush=True)  # noqa: E731
    bots = bot_names()
    load_bot = args.bot or LOAD_BOT
    if load_bot not in bots:
        say(f"hkbot bench serve: no bot named {load_bot!r}; the bots are {', '.join(bots)}")
        return 2
    say(f"hkbot bench serve: bots {', '.join(bots)}; load on {load_bot} with {args.conversations} concurrent conversations × {args.messages} messages; {os.cpu_count()} CPUs")
    say("preparing models (cached by fingerprint)…")
    ensure_trained(bots, progress=lambda line: say(f"  {line}"))
    models = plain_models(bots, say)
    scratch = Path(tempfile.mkdtemp(prefix="hkbot-bench-serve-"))
    try:
        say("measuring hkbot serve…")
        ours = bench_ours(bots, load_bot, scratch, args.conversations, args.messages, say)
        say("measuring plain rasa run + rasa run actions per bot…")
        plain = bench_plain(models, load_bot, scratch, args.conversations, args.messages, say)
    except BaseException:
        say(f"(logs kept in {scratch})")
        raise
    if ours["load"].errors or plain["load"].errors:
        say(f"(errors: the servers' logs are kept in {scratch})")
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    say("")
    say(table(ours, plain, bots, load_bot, args.conversations, args.messages))
    o, p = ours["load"], plain["load"]
    say("")
    say(verdict(ours["memory_mb"], plain["memory_mb"], o, p))
    return 0


def verdict(ours_mb: float, plain_mb: float, ours: Any, plain: Any) -> str:
    """The targets line. Speed targets count only when both sides answered every message: a refused
    request (a 429 once a conversation passes its burst of messages) is answered fast and proves nothing."""
    complete = not ours.errors and not plain.errors
    speed = "met" if complete and plain.per_second and ours.per_second >= 5 * plain.per_second else "NOT met"
    latency = "met" if complete and ours.percentile(95) < 300 else "NOT met"
    note = "" if complete else " (errors: speed not judged; more than 30 messages per conversation meet its rate limit)"
    return (f"targets: memory ≤ 0.5× plain: {'met' if ours_mb <= 0.5 * plain_mb else 'NOT met'}; "
            f"msgs/s ≥ 5× plain: {speed}; p95 < 300 ms: {latency}{note}")
