"""What `/health` reports: ready (200) only when every bot's model and knowledge are loaded, else 503 with what is missing.

A load balancer reads the status code; an operator reads the body. The body names versions
(hkbot's, each model's fingerprint, the knowledge version and content fingerprint) but no file
names or paths: it is public. Problems in a refused knowledge file are in the server log and on
the last line of `hkbot serve`, not here.
"""
from __future__ import annotations

from importlib import metadata
from typing import Any, Mapping

READY, NOT_READY = 200, 503


def hkbot_version() -> str:
    """The installed hkbot version ("unknown" when run from a tree that was never installed)."""
    try:
        return metadata.version("hkbot")
    except metadata.PackageNotFoundError:
        return "unknown"


def health_report(runtimes: Mapping[str, Any], store: Any, channels: Mapping[str, list[str]]) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body): 200 when every bot can answer from its model and all its knowledge bases."""
    snapshot = store.snapshot
    counts: dict[str, int] = {}
    for entry in snapshot.entries.values():
        counts[entry.kb] = counts.get(entry.kb, 0) + 1
    refusals = store.refusals()
    missing: list[str] = []
    bots = []
    for name, runtime in runtimes.items():
        model_loaded = bool(runtime.agent.is_ready())
        absent = [str(kb) for kb in runtime.config.knowledge_bases if not counts.get(str(kb))]
        if not model_loaded:
            missing.append(f"bot {name}: its model is not loaded")
        for kb in absent:
            refused = any(r.knowledge_base == kb for r in refusals)
            missing.append(f"bot {name}: knowledge base {kb} is not loaded"
                           + (" (its file was refused; the server log says where and how to fix it)" if refused else ""))
        bots.append({
            "name": name,
            "display_name": runtime.config.display_name,
            "ready": model_loaded and not absent,
            "model": "loaded" if model_loaded else "not loaded",
            "fingerprint": runtime.fingerprint,  # of the model: what it was trained from
            "knowledge_bases": {str(kb): counts.get(str(kb), 0) for kb in runtime.config.knowledge_bases},
            "channels": list(channels.get(name, [])),
        })
    ready = not missing
    body = {
        "status": "ok" if ready and not refusals else "degraded" if ready else "unavailable",
        "ready": ready,
        "version": hkbot_version(),
        "knowledge": {
            "version": snapshot.version,
            "fingerprint": snapshot.fingerprint,
            "entries": len(snapshot.entries),
            "refused": [{"knowledge_base": r.knowledge_base, "problems": len(r.problems),
                         "serving": "its last good version" if r.serving else "nothing: absent until fixed"}
                        for r in refusals],
        },
        "missing": missing,
        "bots": bots,
    }
    return (READY if ready else NOT_READY), body
