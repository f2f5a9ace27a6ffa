"""`hkbot detect-language` and `hkbot bench nlu`.

Top-level imports stay light (no Rasa, spaCy or jieba: `import nlu` loads none of them) so the commands start fast.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import nlu
from nlu.language_id import detect_language
from nlu.langid_data import examples, written_sentences


def register(commands: argparse._SubParsersAction, bench: argparse._SubParsersAction) -> None:
    detect = commands.add_parser(
        "detect-language",
        help="print one language tag (en, yue, zh-Hant, zh-Hans, und) per line of standard input",
    )
    detect.set_defaults(func=detect_language_command)

    nlu_bench = bench.add_parser("nlu", help="sentences/s of detection + normalisation + tokenisation")
    nlu_bench.add_argument("--sentences", type=int, default=20000, help="distinct sentences to analyse")
    nlu_bench.set_defaults(func=bench_nlu_command)


def detect_language_command(args: argparse.Namespace) -> int:
    """Stream stdin: one tag per input line, in order, flushed line by line."""
    stdin, stdout = sys.stdin.buffer, sys.stdout
    # Read bytes and split on b"\n" only: invalid UTF-8 or U+2028 never shifts the lines.
    for raw in iter(stdin.readline, b""):
        line = raw.rstrip(b"\n").rstrip(b"\r").decode("utf-8", errors="replace")
        stdout.write(detect_language(line) + "\n")
        stdout.flush()
    return 0


_FIRST_RESULT = """
import time
start = time.perf_counter()
import nlu
nlu.analyse({text!r})
print(time.perf_counter() - start)
"""


def _first_result_seconds(text: str) -> tuple[float, float]:
    """(import + first analyse, whole process) for `text`, in a fresh interpreter."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _FIRST_RESULT.format(text=text)],
        capture_output=True, text=True, check=True,
    )
    return float(result.stdout.strip().splitlines()[-1]), time.perf_counter() - started


def _detect_language_process_seconds() -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bots.cli.main", "detect-language"],
        input="點樣申請狗牌呀\n", capture_output=True, text=True, check=True,
    )
    return time.perf_counter() - started


def _bench_sentences(count: int) -> list[str]:
    try:
        pool = [e.text for e in examples()]
    except ImportError:  # hsk-sentences-audio (a test extra) missing: our own sentences only
        pool = [e.text for e in written_sentences()]
    step = max(1, len(pool) // count)
    return pool[::step][:count]


def bench_nlu_command(args: argparse.Namespace) -> int:
    """Print start-up times and single-core sentences/s for analyse()."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    chinese, chinese_process = _first_result_seconds("點樣申請狗牌呀？")
    english, english_process = _first_result_seconds("How do I renew my dog licence?")
    detect_process = _detect_language_process_seconds()
    if hasattr(os, "getloadavg"):  # start-up times on a busy machine are not comparable
        print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"first result after import (Chinese): {chinese:.3f} s (whole process {chinese_process:.3f} s)")
    print(f"first result after import (English, loads spaCy): {english:.3f} s (whole process {english_process:.3f} s)")
    print(f"`hkbot detect-language` process, one line: {detect_process:.3f} s")

    sentences = _bench_sentences(args.sentences)
    nlu.analyse("warm up 熱身")
    nlu.analyse("How do I renew my dog licence?")
    started = time.perf_counter()
    for sentence in sentences:
        nlu.analyse(sentence)
    elapsed = time.perf_counter() - started
    chars = sum(len(s) for s in sentences) / max(1, len(sentences))
    print(
        f"analyse (detect + normalise + tokenise), one core: {len(sentences) / elapsed:,.0f} sentences/s "
        f"over {len(sentences):,} distinct sentences (mean {chars:.1f} chars)"
    )
    started = time.perf_counter()
    for sentence in sentences:
        detect_language(sentence)
    elapsed = time.perf_counter() - started
    print(f"detect_language alone: {len(sentences) / elapsed:,.0f} sentences/s")
    return 0
