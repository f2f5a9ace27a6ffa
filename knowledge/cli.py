"""The knowledge commands of `hkbot`: knowledge validate / list / search / tune, and bench faq.

Imports stay light at module level (no Rasa, no index): `hkbot --help` imports this module, so the
heavy parts (the index and its NLU layer, the benchmarks) are imported by the command that runs them.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hkbot.settings import knowledge_dir
from knowledge.confusion import confusion_warnings
from knowledge.schema import Problem
from knowledge.scope import bot_knowledge_bases, folder_store, served_together
from knowledge.validation import knowledge_files, load_directory, load_paths
from nlu.sanitise import clean


def register(commands: argparse._SubParsersAction, bench: argparse._SubParsersAction) -> None:
    knowledge = commands.add_parser("knowledge", help="validate, list and search the FAQ knowledge bases")
    sub = knowledge.add_subparsers(dest="knowledge_command", metavar="ACTION", required=True)

    validate = sub.add_parser("validate", help="check knowledge files; exit 1 if any problem")
    validate.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (default: the knowledge folder)")
    validate.add_argument("--json", action="store_true", help="print the problems as JSON")
    validate.set_defaults(func=validate_command)

    listing = sub.add_parser("list", help="list entries: id, knowledge base, variants per language, title")
    listing.add_argument("--bot", help="only the knowledge bases this bot answers from")
    listing.add_argument("--kb", help="only this knowledge base")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=list_command)

    search = sub.add_parser("search", help="top matches for a question, as BOT would rank them")
    search.add_argument("bot", metavar="BOT")
    search.add_argument("question")
    search.add_argument("--top", type=int, default=5)
    search.add_argument("--json", action="store_true", help="one JSON object (the parse data's `faq`)")
    search.set_defaults(func=search_command)

    tune = sub.add_parser("tune", help="choose the FAQ threshold: leave-one-out over variants vs near-misses")
    tune.add_argument("--verbose", action="store_true", help="list every leave-one-out miss")
    tune.set_defaults(func=tune_command)

    faq = bench.add_parser("faq", help="FAQ index build time and query latency; --baseline rasa compares accuracy")
    faq.add_argument("cases", nargs="?", metavar="CASES.yml", help="labelled cases for --baseline")
    faq.add_argument("--entries", type=int, default=1000, help="synthetic entries to index")
    faq.add_argument("--queries", type=int, default=2000)
    faq.add_argument("--dense-questions", type=int, default=None, metavar="N",
                     help="time the dense signal on N of the case-file questions (default: all of them)")
    faq.add_argument("--baseline", choices=["rasa"], help="also train plain Rasa on the same entries and compare")
    faq.add_argument("--rasa-threshold", type=float, default=0.3,
                     help="plain Rasa answers out_of_scope below this response-selector confidence")
    faq.add_argument("--epochs", type=int, default=100, help="DIET/ResponseSelector epochs for the baseline")
    faq.set_defaults(func=bench_faq_command)


def validate_command(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.paths] or [knowledge_dir()]
    files: list[Path] = []
    problems = []
    for path in paths:
        if path.is_dir():
            found = knowledge_files(path)
            if not found:
                _, dir_problems = load_directory(path)
                problems.extend(dir_problems)
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            problems.append(Problem(str(path), 0, "No such file or folder.", "Check the path."))
    loaded = load_paths(files) if files else None
    entries = loaded.entries if loaded else []
    problems.extend(loaded.problems if loaded else [])
    warnings = []
    if loaded and entries and not problems:  # confusion is only worth reading on knowledge that loads
        from knowledge.index import KnowledgeIndex  # start-up: the index is ~0.4 s of numpy and NLU

        warnings = confusion_warnings(KnowledgeIndex(entries, vocabularies=loaded.vocabularies), served_with=served_together())
    if args.json:
        print(json.dumps({"files": [str(f) for f in files], "entries": len(entries),
                          "problems": [p.to_dict() for p in problems],
                          "warnings": [{"entry": w.entry_id, "message": w.message, "fix": w.fix} for w in warnings]},
                         ensure_ascii=False, indent=2))
    else:
        for problem in problems:
            print(problem)
        for warning in warnings:
            print(f"warning: {warning}")
        status = "OK" if not problems else f"{len(problems)} problem(s)"
        status += f", {len(warnings)} warning(s) to look at" if warnings else ""
        print(f"{len(files)} file(s), {len(entries)} valid entries: {status}", file=sys.stderr if problems else sys.stdout)
    return 1 if problems else 0


def list_command(args: argparse.Namespace) -> int:
    store = folder_store()
    if store.problems and not store.entries():
        for problem in store.problems:
            print(problem, file=sys.stderr)
        return 1
    kbs = bot_knowledge_bases(args.bot) if args.bot else ([args.kb] if args.kb else None)
    entries = store.entries(kbs)
    if args.json:
        print(json.dumps([{**e.to_dict(), "kb": e.kb} for e in entries], ensure_ascii=False, indent=2))
        return 0
    for entry in entries:
        counts = " ".join(f"{lang}:{len(texts)}" for lang, texts in entry.questions.items())
        print(f"{entry.id:<34} {entry.kb:<12} {counts:<24} {entry.title.get('en', '')}")
    print(f"{len(entries)} entries", file=sys.stderr)
    return 0


def search_command(args: argparse.Namespace) -> int:
    store = folder_store()
    question = clean(args.question)
    if not question.strip():
        print("hkbot: the question is empty.", file=sys.stderr)
        return 2
    kbs = bot_knowledge_bases(args.bot)
    unknown = [kb for kb in kbs if kb not in store.knowledge_bases()]
    if unknown:
        print(f"hkbot: no knowledge base {', '.join(unknown)} (loaded: {', '.join(store.knowledge_bases())}).",
              file=sys.stderr)
        return 2
    result = store.index().decide(question, kbs, top=args.top)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
        return 0
    print(f"{args.bot} ({', '.join(kbs)}), threshold {result.threshold:.2f}")
    for match in result.matches:
        mark = "*" if match.id == result.top else ("~" if match.id in result.ambiguous else " ")
        entry = store.entry(match.id)
        title = entry.title.get("en", "") if entry else ""
        print(f" {mark} {match.score:.3f}  {match.id:<34} {title}")
    if result.top is None:
        print("   no entry reaches the threshold: the bot answers out_of_scope")
    return 0


def tune_command(args: argparse.Namespace) -> int:
    from knowledge.index import DEFAULT_THRESHOLD  # start-up: the index is ~0.4 s of numpy and NLU
    from knowledge.tuning import tune

    store = folder_store()
    report = tune(store.entries(), vocabularies=store.snapshot.vocabularies)
    print(report.describe())
    if args.verbose:
        for text, expected, got, score in report.wrong:
            print(f"  miss: {text!r} expected {expected}, got {got} {score:.3f}")
    print(f"chosen threshold {report.threshold:.2f} (in use: {DEFAULT_THRESHOLD:.2f})")
    return 0


def bench_faq_command(args: argparse.Namespace) -> int:
    from knowledge import bench  # start-up: the benchmark (and its Rasa baseline) loads only when run

    if args.baseline:
        if not args.cases:
            print("hkbot: --baseline rasa needs a CASES.yml file", file=sys.stderr)
            return 2
        return bench.baseline_command(args)
    return bench.speed_command(args)
