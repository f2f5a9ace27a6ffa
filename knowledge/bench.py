"""`hkbot bench faq`: index and query speed on synthetic entries, and accuracy against plain Rasa.

Speed: builds the index of N synthetic trilingual entries (9 variants each, distinct
texts, so no cache helps) and times queries that are unseen variations of them.
Baseline: trains a plain Rasa NLU pipeline (JiebaTokenizer, CountVectorsFeaturizer,
DIETClassifier, ResponseSelector with one `faq/<topic>` retrieval intent per entry) on
the same entries, then scores both on labelled cases, per language, side by side.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Sequence

import yaml

from knowledge.index import DEFAULT_THRESHOLD, KnowledgeIndex
from knowledge.live import shared_store
from knowledge.schema import Entry
from knowledge.scope import bot_knowledge_bases, folder_store
from nlu import concepts
from nlu.semantic import encoder

EN_WORDS = ("licence renew fee apply document vaccine microchip owner address lost replace password account "
            "register browser hotline complaint department language app draft permit cargo import export phase "
            "approval company form office hours email phone centre village clinic tag colour penalty age card").split()
ZH_WORDS = ("牌照 續期 費用 申請 文件 疫苗 晶片 狗主 地址 遺失 補領 密碼 帳戶 登記 瀏覽器 熱線 投訴 部門 語言 "
            "程式 草稿 許可證 貨物 進口 出口 階段 批核 公司 表格 辦公 時間 電郵 電話 中心 鄉村 診所 金屬牌 顏色 罰款 年齡").split()
EN_FRAMES = ("How do I {a} my {b}?", "what is the {a} for {b}", "{a} {b} {c} question", "Can I {a} the {b} online?",
             "where to {a} {b} and {c}")
ZH_FRAMES = ("如何辦理{a}的{b}？", "{a}和{b}有甚麼要求？", "請問{a}{b}{c}", "{a}點樣{b}呀？", "{a}{b}要幾耐？")


def synthetic_entries(count: int, seed: int = 7) -> list[Entry]:
    """Trilingual entries with distinct texts built from department-like words."""
    rng = random.Random(seed)
    entries = []
    for number in range(count):
        kb = ("dog_licence", "1823", "tsw")[number % 3]
        topic = f"topic_{number}"
        marker_en, marker_zh = f"item{number}", f"第{number}項"

        def en() -> str:
            a, b, c = rng.sample(EN_WORDS, 3)
            return rng.choice(EN_FRAMES).format(a=a, b=b, c=c) + f" {marker_en}"

        def zh() -> str:
            a, b, c = rng.sample(ZH_WORDS, 3)
            return rng.choice(ZH_FRAMES).format(a=a, b=b, c=c) + marker_zh

        source = f"https://www.example.gov.hk/{kb}/{topic}"
        entries.append(Entry(
            id=f"{kb}.{topic}", kb=kb,
            title={"en": f"Topic {number}", "zh-Hant": f"題目{number}"},
            answer={"en": f"Answer {number}. Source: {source}", "zh-Hant": f"答案{number}。資料來源：{source}"},
            questions={"en": tuple(en() for _ in range(3)), "zh-Hant": tuple(zh() for _ in range(3)),
                       "yue": tuple(zh() for _ in range(3))},
            source=source, updated=date(2025, 1, 1),
        ))
    return entries


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def speed_command(args: argparse.Namespace) -> int:
    entries = synthetic_entries(args.entries)
    KnowledgeIndex(synthetic_entries(3, seed=1), dense=False)  # warm-up: lexicon, spaCy tables, OpenCC
    started, cpu_started = time.perf_counter(), time.process_time()
    index = KnowledgeIndex(entries, dense=False)  # the lexical ranker alone: the dense part is timed below
    build, build_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    variants = sum(len(e.variants()) for e in entries)
    print(f"index: {len(entries)} entries, {variants} variants, {len(index.ranker.vocabulary)} features: "
          f"built in {build * 1000:.0f} ms ({build_cpu * 1000:.0f} ms CPU; machine load {_load()})")

    rng = random.Random(11)
    concepts.matching_view.cache_clear()
    concepts.lexicon().cache_clear()
    timings, cpu = [], []
    kbs = ["dog_licence", "1823"]
    for number in range(args.queries):
        entry = rng.choice(entries)
        _lang, text = rng.choice(entry.variants())
        query = f"{text} {number}"  # unseen text: no cache hit
        started, cpu_started = time.perf_counter(), time.thread_time()
        index.decide(query, kbs)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - cpu_started) * 1000)
    p95 = _percentile(timings, 0.95)
    print(f"query ({args.queries} unseen questions, 2 knowledge bases, text to decision): "
          f"p50 {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms, max {max(timings):.2f} ms "
          f"(CPU p50 {statistics.median(cpu):.2f} ms, p95 {_percentile(cpu, 0.95):.2f} ms)")
    ok = build < 1.0 and p95 < 5.0
    print("goals (build < 1 s, query p95 < 5 ms, wall clock): " + ("met" if ok else "NOT met on this run"))
    return 0 if dense_speed(args.dense_questions) else 0


def dense_speed(limit: int | None = None) -> bool:
    """Per-question cost with the dense signal: the real knowledge, every case file's questions, on one core."""
    coder = encoder()
    if coder is None:
        print("dense signal: off (HKBOT_SEMANTIC=off, or the encoder cannot load here): nothing to time")
        return True
    store = shared_store()
    started = time.perf_counter()
    index = store.index()
    build = time.perf_counter() - started
    served = sorted(index.kb_thresholds)
    texts = []
    for path in sorted((Path(__file__).resolve().parent.parent / "tests" / "data").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        texts += [str(c["text"]) for c in (data.get("cases", []) if isinstance(data, dict) else data) if isinstance(c, dict) and "text" in c]
    texts = list(dict.fromkeys(texts))
    if limit is not None and limit > 0 and limit < len(texts):  # an even sample of them (a quick check)
        texts = texts[::-(-len(texts) // limit)][:limit]
    kbs = sorted({e.kb for e in store.entries()})
    timings, cpu, encoded = [], [], []
    for text in texts:
        runs = coder.runs
        started, cpu_started = time.perf_counter(), time.thread_time()
        index.decide(text, kbs)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - cpu_started) * 1000)
        encoded.append(coder.runs > runs)
    p95 = _percentile(timings, 0.95)
    called = [c for c, e in zip(cpu, encoded) if e]
    skipped = [c for c, e in zip(cpu, encoded) if not e]
    print(f"dense signal ({coder.name}, {os.environ.get('OMP_NUM_THREADS', '1')} thread): index of {len(index)} entries "
          f"built in {build:.1f} s (embeddings from the disk cache when present); serves {', '.join(served) or 'no knowledge base'}; "
          f"machine load {_load()}")
    print(f"query with the dense signal ({len(texts)} distinct case-file questions, all knowledge bases, text to decision): "
          f"p50 {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms, max {max(timings):.2f} ms "
          f"(CPU p50 {statistics.median(cpu):.2f} ms, p95 {_percentile(cpu, 0.95):.2f} ms)")
    print(f"  the encoder ran for {len(called)} of {len(texts)} questions ({len(called) / max(1, len(texts)):.0%}; "
          f"the others were decided without it): CPU per question "
          + (f"with it p50 {statistics.median(called):.2f} ms, p95 {_percentile(called, 0.95):.2f} ms" if called else "with it: none")
          + (f"; without it p50 {statistics.median(skipped):.2f} ms, p95 {_percentile(skipped, 0.95):.2f} ms" if skipped else ""))
    ok = p95 < 15.0
    print("goal (dense query p95 < 15 ms, wall clock, one core): " + ("met" if ok else "NOT met on this run"))
    return ok


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    except OSError:
        return "unknown"


# -- accuracy against plain Rasa ----------------------------------------------------------

PLAIN_RASA_CONFIG = """\
recipe: default.v1
language: zh
assistant_id: plain_rasa_faq_baseline
pipeline:
  - name: JiebaTokenizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: {epochs}
  - name: ResponseSelector
    retrieval_intent: faq
    epochs: {epochs}
policies: []
"""


def load_cases(path: Path) -> list[dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = data.get("cases", [])
    cases = [c for c in data or [] if isinstance(c, dict) and c.get("text") and c.get("expect")]
    if not cases:
        raise SystemExit(f"hkbot: no cases ({{bot, text, expect, lang}}) in {path}")
    return cases


def write_plain_rasa_project(entries: Sequence[Entry], folder: Path, epochs: int) -> tuple[Path, Path, Path]:
    """config.yml, nlu.yml (faq/<topic> retrieval intents) and domain.yml (their responses)."""
    nlu = {"version": "3.1", "nlu": [
        {"intent": f"faq/{e.id}", "examples": "".join(f"- {_one_line(t)}\n" for _l, t in e.variants())}
        for e in entries
    ]}
    domain = {"version": "3.1", "intents": ["faq"],
              "responses": {f"utter_faq/{e.id}": [{"text": _one_line(e.answer["en"])}] for e in entries}}
    config = folder / "config.yml"
    config.write_text(PLAIN_RASA_CONFIG.format(epochs=epochs), encoding="utf-8")
    (folder / "data").mkdir(exist_ok=True)
    nlu_path = folder / "data" / "nlu.yml"
    nlu_path.write_text(yaml.safe_dump(nlu, allow_unicode=True, sort_keys=False), encoding="utf-8")
    domain_path = folder / "domain.yml"
    domain_path.write_text(yaml.safe_dump(domain, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return config, nlu_path, domain_path


def _one_line(text: str) -> str:
    return " ".join(text.split())


def train_plain_rasa(entries: Sequence[Entry], folder: Path, epochs: int) -> Path:
    from rasa.model_training import train_nlu  # only --baseline rasa loads Rasa and TensorFlow (seconds)

    config, nlu_path, domain_path = write_plain_rasa_project(entries, folder, epochs)
    print(f"training plain Rasa on {len(entries)} entries, "
          f"{sum(len(e.variants()) for e in entries)} variants ({epochs} epochs each for DIET and ResponseSelector)...",
          file=sys.stderr, flush=True)
    started = time.perf_counter()
    model = train_nlu(str(config), str(nlu_path), str(folder / "models"), domain=str(domain_path))
    if not model:
        raise SystemExit("hkbot: plain Rasa training failed (see the log above)")
    print(f"trained in {time.perf_counter() - started:.0f} s: {model}", file=sys.stderr, flush=True)
    return Path(model)


def plain_rasa_predict(parse: dict, kb_topics: set[str], threshold: float) -> str:
    """Plain Rasa's answer: its best faq/<topic> response among the bot's topics, out_of_scope below the threshold."""
    selector = (parse.get("response_selector") or {}).get("faq") or {}
    ranking = selector.get("ranking") or []
    for candidate in ranking:
        topic = str(candidate.get("intent_response_key", "")).split("/", 1)[-1]
        if topic in kb_topics:
            return topic if float(candidate.get("confidence", 0.0)) >= threshold else "out_of_scope"
    return "out_of_scope"


def baseline_command(args: argparse.Namespace) -> int:
    cases = load_cases(Path(args.cases))
    store = folder_store()
    if store.problems:
        for problem in store.problems:
            print(problem, file=sys.stderr)
        return 1
    entries = store.entries()
    index = store.index()
    with tempfile.TemporaryDirectory(prefix="hkbot-plain-rasa-") as tmp:
        model = train_plain_rasa(entries, Path(tmp), args.epochs)
        from rasa.core.agent import Agent  # only --baseline rasa loads Rasa and TensorFlow
        from rasa.utils.log_utils import configure_structlog

        configure_structlog(logging.WARNING)  # Rasa logs every parsed text at debug level otherwise
        agent = Agent.load(str(model))
        results: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
        print(f"scoring {len(cases)} cases...", file=sys.stderr, flush=True)
        for case in cases:
            kbs = bot_knowledge_bases(str(case.get("bot", "")))
            topics = {e.id for e in entries if e.kb in kbs}
            decision = index.decide(str(case["text"]), kbs)
            ours = decision.top or "out_of_scope"
            parse = asyncio.run(agent.parse_message(str(case["text"])))
            theirs = plain_rasa_predict(parse, topics, args.rasa_threshold)
            expect = str(case["expect"])
            outcome = (ours == expect, theirs == expect)
            results[str(case.get("lang", "?"))].append(outcome)
            results["in scope" if expect != "out_of_scope" else "out_of_scope"].append(outcome)
            if _code_mixed(str(case["text"])):
                results["code-mixed"].append(outcome)
    print(f"\nTop-1 accuracy on {args.cases} ({len(cases)} cases; out_of_scope counts as a label):")
    print(f"  ours: knowledge index, threshold {index_threshold()}; plain Rasa: ResponseSelector's best topic of the "
          f"bot, out_of_scope when its confidence < {args.rasa_threshold}")
    print(f"  {'language':<12} {'cases':>5} {'ours':>8} {'plain Rasa':>11}")
    totals = [0, 0, 0]
    groups = ("in scope", "out_of_scope", "code-mixed")
    for lang in [k for k in sorted(results) if k not in groups] + [k for k in groups if k in results]:
        rows = results[lang]
        ours_ok, theirs_ok = sum(r[0] for r in rows), sum(r[1] for r in rows)
        if lang not in groups:
            totals = [totals[0] + len(rows), totals[1] + ours_ok, totals[2] + theirs_ok]
        elif lang == groups[0]:
            print(f"  {'all':<12} {totals[0]:>5} {totals[1] / totals[0]:>8.1%} {totals[2] / totals[0]:>11.1%}")
        print(f"  {lang:<12} {len(rows):>5} {ours_ok / len(rows):>8.1%} {theirs_ok / len(rows):>11.1%}")
    return 0


def _code_mixed(text: str) -> bool:
    """Chinese and English words in one message (我想renew個dog licence)."""
    return bool(re.search(r"[\u3400-\u9fff]", text)) and bool(re.search(r"[A-Za-z]{2,}", text))


def index_threshold() -> str:
    return f"{DEFAULT_THRESHOLD:.2f}"
