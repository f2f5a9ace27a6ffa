"""Starting Sanic apps inside the test process, one after another.

Sanic 21.12's TouchUp rewrites some of its own methods when an app starts (outside test mode it keeps
the rewritten ones), so an app started later in the same process fails in start-up code it did not
expect (KeyError '_run_request_middleware'). Tests that start an app in-process set `Sanic.test_mode`
and call `untouch_sanic()` afterwards.
"""
from __future__ import annotations

from sanic.touchup.service import TouchUp


def untouch_sanic() -> None:
    """Put back the Sanic methods that TouchUp rewrote, so later tests' apps start from the originals."""
    for target, name in TouchUp._registry:
        original = target.__dict__.get(f"_{name}")
        if original is not None:
            setattr(target, name, original)
            delattr(target, f"_{name}")
