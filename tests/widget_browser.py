"""Browser fixtures for the widget and kiosk tests: Debian's chromium driven by Playwright."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: How long a test waits for the bot's answer (a real agent, in a shared machine).
ANSWER_TIMEOUT_MS = 30_000


#: For pages the test itself serves from a made-up public origin (a department's site):
#: Chrome would otherwise refuse their requests to our server on the loopback address.
CROSS_SITE_ARGS = ["--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests"]


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    """Playwright's driver for this test module (Debian's chromium, no browser download)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package `chromium`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


def launch(playwright: Any, extra_args: list[str] | None = None) -> Any:
    """A headless Debian chromium."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + (extra_args or []))


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:
    """One headless chromium per test module, closed afterwards."""
    chromium = launch(playwright)
    try:
        yield chromium
    finally:
        chromium.close()


class Page:
    """A fresh browser context and page that records dialogs and script errors."""

    def __init__(self, browser: Any, width: int = 1024, height: int = 768) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-HK")
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", self._console)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def close(self) -> None:
        self.context.close()

    def session_storage(self) -> dict[str, str]:
        return json.loads(self.page.evaluate("JSON.stringify(Object.assign({}, sessionStorage))"))


@pytest.fixture
def web(browser: Any) -> Iterator[Page]:
    """A desktop-sized page in its own context (its own sessionStorage)."""
    page = Page(browser)
    try:
        yield page
    finally:
        page.close()


def shot(page: Any, artifacts_dir: Path, name: str) -> Path:
    """Keep a screenshot of the current state as a test artifact."""
    path = artifacts_dir / f"{name}.png"
    page.screenshot(path=str(path))
    return path


AXE_SCRIPT = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Any, context: str | None = None) -> list[dict[str, Any]]:
    """axe-core's WCAG 2 A/AA and best-practice violations on the page as it is now (open shadow roots included).

    axe-core is injected by the test only (pinned in package-lock.json, installed by `make browser-tools`).
    """
    assert AXE_SCRIPT.is_file(), f"{AXE_SCRIPT} is missing: run `make browser-tools` (npm ci)"
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))  # evaluated, not a <script>: the page's CSP allows no inline code
    result = page.evaluate(
        """async (context) => {
            const r = await axe.run(context || document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                           nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary).slice(0, 5)}));
        }""",
        context,
    )
    return result


def assert_no_axe_violations(page: Any, where: str) -> None:
    """Fail with every rule, its impact and the first offending elements when axe-core finds anything."""
    violations = axe_violations(page)
    assert violations == [], f"axe-core violations on {where}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in violations)
