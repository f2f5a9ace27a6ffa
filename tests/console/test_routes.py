"""The console as route modules: each area a Sanic blueprint of module-level handlers; its hooks owned by each app."""
from __future__ import annotations

import inspect
import uuid

import pytest
from sanic import Sanic

from bots.runtime.hooks import Hooks
from connectors import websocket
from console import handoffs, web
from console.routes import BLUEPRINTS
from tests.inprocess_sanic import untouch_sanic

BOTS = {"dog_licence": object()}


@pytest.fixture
def apps(tmp_path, monkeypatch):
    """Two apps in one process, as a test run or a server beside a tool would have; the console on the first only."""
    monkeypatch.setenv("HKBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HKBOT_CONSOLE_DB", f"sqlite:///{tmp_path / 'console.sqlite3'}")
    monkeypatch.setattr(Sanic, "test_mode", True)
    untouch_sanic()  # an app an earlier test started in this process may have left Sanic's methods rewritten
    with_console = Sanic(f"console_routes_{uuid.uuid4().hex}")
    web.register(with_console, BOTS)
    without = Sanic(f"channels_only_{uuid.uuid4().hex}")
    yield with_console, without
    untouch_sanic()


def test_each_console_area_is_a_blueprint_with_named_module_level_routes(apps):
    app, _ = apps
    assert {bp.name for bp in BLUEPRINTS} <= set(app.blueprints)
    assert {"console_auth", "console_knowledge", "console_publishing", "console_transfer", "console_review",
            "console_handoffs", "console_users", "console_dashboard"} <= set(app.blueprints)
    assert app.url_for("console_auth.login_page") == "/console/login"
    assert app.url_for("console_handoffs.take", handoff_id=7) == "/console/handoffs/7/take"
    assert app.url_for("console_publishing.rollback", number=3) == "/console/versions/3/rollback"
    assert app.url_for("console_knowledge.vocabulary", kb="dog_licence") == "/console/knowledge/vocabulary/dog_licence"
    console_routes = [r for r in app.router.routes if r.path.startswith("console")]
    assert len(console_routes) == 38
    for route in console_routes:
        handler = inspect.unwrap(route.handler)  # under the guard: the handler as written
        assert handler.__module__.startswith("console.routes."), route.name
        assert "<locals>" not in handler.__qualname__, f"{route.name} is defined inside a function, not in its module"
        assert route.name.split(".")[1] in {bp.name for bp in BLUEPRINTS}, route.name
        # Every page but getting in needs a session, the CSRF token on POST and the role's permission.
        guarded = route.handler.__code__.co_qualname.startswith("guard.")  # wraps() copies the name, not the code
        assert guarded == (route.name.split(".")[-1] not in {"home", "static", "login_page", "login"}), route.name


async def test_two_apps_in_one_process_do_not_share_hooks(apps):
    with_console, without = apps
    # Each app owns its registries and the console's objects; nothing is a module list both would see.
    assert isinstance(with_console.ctx.session_end_hooks, Hooks) and isinstance(with_console.ctx.turn_listeners, Hooks)
    assert with_console.ctx.turn_capture.on_turn in with_console.ctx.turn_listeners
    assert not hasattr(without.ctx, "session_end_hooks") and not hasattr(without.ctx, "turn_listeners")
    second = Sanic(f"console_routes_{uuid.uuid4().hex}")
    web.register(second, BOTS)
    assert second.ctx.session_end_hooks is not with_console.ctx.session_end_hooks
    assert second.ctx.handoff_desk is not with_console.ctx.handoff_desk
    assert second.ctx.turn_capture.on_turn not in with_console.ctx.turn_listeners

    # A citizen ending a chat on the app without the console leaves the console's waiting handoff alone ...
    opened = handoffs.open_handoff("dog_licence", "citizen-7", "yue", [("citizen", "想同職員傾")])
    await websocket.end_conversation(without, "dog_licence", "citizen-7")
    assert handoffs.get(opened.id).status == "waiting"
    # ... and ending it where the console is mounted closes it, once, with a note in the transcript.
    await websocket.end_conversation(with_console, "dog_licence", "citizen-7")
    assert handoffs.get(opened.id).status == "closed"
    assert [m.text for m in handoffs.messages(opened.id) if m.author == "system"] == ["The citizen ended the conversation."]


async def test_a_failing_hook_is_logged_and_the_others_still_run(caplog):
    calls: list[tuple] = []
    hooks = Hooks("session end")

    def broken(bot: str, sender: str) -> None:
        raise RuntimeError("boom")

    async def recorded(bot: str, sender: str) -> None:
        calls.append((bot, sender))

    hooks.add(broken)
    hooks.add(recorded)
    hooks.add(recorded)  # once only
    await hooks.fire("1823", "citizen-1")
    assert calls == [("1823", "citizen-1")] and len(hooks) == 2
    assert "A session end hook failed for bot 1823" in caplog.text and "boom" in caplog.text
    assert "citizen-1" not in caplog.text  # the sender may identify a citizen: never in the log
