"""Console log-in security on a real `hkbot serve` over HTTP: what an operator's browser and an attacker meet.

The server trusts 127.0.0.1 as its TLS-terminating proxy (`HKBOT_CONSOLE_TRUSTED_PROXIES`); requests
from 127.0.0.2 stand for anyone else on the network. Cookies are `Secure` and HSTS is sent when the
proxy says https, never on a header from an untrusted peer; a password reset ends the user's other
sessions; an idle session ends even with the handoff desk polling; an attacker's failed log-ins do
not keep the admin out; reserved audit names cannot be created.
"""
from __future__ import annotations

import os
from pathlib import Path
import re
import subprocess
import time

import httpx
import pytest

REPO = str(Path(__file__).resolve().parents[2])
PASSWORD = "console security password"
IDLE_SECONDS = 6  # HKBOT_CONSOLE_IDLE_MINUTES=0.1 on this server
USERS = {"ada": "admin", "ben": "editor", "agnes": "agent"}


@pytest.fixture(scope="module")
def console_server(server_factory):
    server = server_factory(env={"HKBOT_CONSOLE_TRUSTED_PROXIES": "127.0.0.1/32, 10.0.0.0/8",
                                 "HKBOT_CONSOLE_IDLE_MINUTES": str(IDLE_SECONDS / 60)}, bots=["dog_licence"])
    for name, role in USERS.items():
        add_user(server, name, role, PASSWORD)
    yield server
    if server.process.poll() is not None:
        print(server.log_tail())


def add_user(server, name: str, role: str, password: str) -> subprocess.CompletedProcess:
    return subprocess.run([os.path.join(REPO, ".venv", "bin", "hkbot"), "console", "add-user", name, "--role", role],
                          input=password + "\n", text=True, env=server.env, cwd=REPO, capture_output=True)


def client(server, source: str = "127.0.0.1", **headers: str) -> httpx.Client:
    """A browser-like client; `source` is the local address it connects from (127.0.0.2 is not a trusted proxy)."""
    return httpx.Client(base_url=server.url, headers=headers, timeout=30,
                        transport=httpx.HTTPTransport(local_address=source))


def login(browser: httpx.Client, name: str, password: str = PASSWORD) -> httpx.Response:
    page = browser.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return browser.post("/console/login", data={"csrf_token": token, "name": name, "password": password, "next": "/console/dashboard"})


def csrf_of(browser: httpx.Client, path: str) -> str:
    return re.search(r'data-csrf="([^"]*)"', browser.get(path).text).group(1)


def logged_in(browser: httpx.Client) -> bool:
    return browser.get("/console/dashboard").status_code == 200


def set_cookies(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


def test_behind_the_trusted_tls_proxy_cookies_are_secure_and_hsts_is_sent(console_server):
    with client(console_server, **{"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.20"}) as browser:
        page = browser.get("/console/login")
        assert page.headers.get("strict-transport-security", "").startswith("max-age=")
        assert all("Secure" in cookie for cookie in set_cookies(page)) and set_cookies(page)
        csp = page.headers["content-security-policy"]  # kept strict: own scripts and styles only, never framed
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        # the cookies are Secure now, so this test client (talking plain http to the proxy's side) sends them by hand
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        done = browser.post("/console/login", cookies={"hkbot_console_login": page.cookies["hkbot_console_login"]},
                            data={"csrf_token": token, "name": "ben", "password": PASSWORD, "next": "/console/dashboard"})
        assert done.status_code == 303
        cookies = set_cookies(done)
        assert any(c.startswith("hkbot_console=") for c in cookies) and all("Secure" in c and "HttpOnly" in c for c in cookies)
        assert done.headers.get("strict-transport-security")


def test_a_forwarded_proto_header_from_anyone_else_is_ignored(console_server):
    with client(console_server, "127.0.0.2", **{"X-Forwarded-Proto": "https"}) as browser:
        page = browser.get("/console/login")
        assert "strict-transport-security" not in page.headers
        assert set_cookies(page) and not any("Secure" in cookie for cookie in set_cookies(page))
    with client(console_server) as browser:  # the proxy itself, for a plain-http client
        page = browser.get("/console/login", headers={"X-Forwarded-Proto": "http"})
        assert "strict-transport-security" not in page.headers and not any("Secure" in c for c in set_cookies(page))


def test_a_password_reset_ends_the_users_other_sessions(console_server):
    with client(console_server) as admin, client(console_server) as ben_desk, client(console_server) as ben_phone, \
            client(console_server) as admin_laptop:
        for browser, name in ((admin, "ada"), (ben_desk, "ben"), (ben_phone, "ben"), (admin_laptop, "ada")):
            assert login(browser, name).status_code == 303
        reset = admin.post("/console/users", data={"csrf_token": csrf_of(admin, "/console/users"), "action": "add",
                                                   "name": "ben", "role": "editor", "password": "ben's new password"})
        assert reset.status_code == 303
        assert not logged_in(ben_desk) and not logged_in(ben_phone)
        # the admin resets her own password: the session she did it in stays, her other ones end
        reset = admin.post("/console/users", data={"csrf_token": csrf_of(admin, "/console/users"), "action": "add",
                                                   "name": "ada", "role": "admin", "password": PASSWORD})
        assert reset.status_code == 303 and logged_in(admin) and not logged_in(admin_laptop)
    with client(console_server) as ben:
        assert login(ben, "ben", "ben's new password").status_code == 303
    add_user(console_server, "ben", "editor", PASSWORD)  # put it back for the other tests


def test_an_idle_session_ends_even_while_the_handoff_desk_refreshes(console_server):
    with client(console_server) as agent, client(console_server) as busy:
        assert login(agent, "agnes").status_code == 303 and login(busy, "ben").status_code == 303
        started = time.monotonic()
        while time.monotonic() - started < IDLE_SECONDS * 1.5:
            agent.get("/console/api/handoffs")  # the queue page's background refresh
            assert logged_in(busy)  # someone working keeps their session
            time.sleep(1)
        assert agent.get("/console/api/handoffs").status_code == 401
        assert agent.get("/console/handoffs").status_code == 302  # to the log-in page
        assert logged_in(busy)


def test_an_attacker_cannot_lock_the_admin_out(console_server):
    with client(console_server) as ada:
        assert login(ada, "ada").status_code == 303  # ada's browser, known from now on
        ada.post("/console/logout", data={"csrf_token": csrf_of(ada, "/console/dashboard")})
        for n in range(14):  # an attacker through the proxy, many addresses, ada's name
            with client(console_server, **{"X-Forwarded-For": f"10.1.2.{n}"}) as attacker:
                refused = login(attacker, "ada", "guess")
                assert refused.status_code in (401, 429)
        with client(console_server, **{"X-Forwarded-For": "10.1.2.99"}) as stranger:
            slowed = login(stranger, "ada")
            assert slowed.status_code == 429 and "wait" in slowed.text and int(slowed.headers["retry-after"]) <= 15 * 60
        assert login(ada, "ada").status_code == 303 and logged_in(ada)


def test_names_of_automatic_audit_entries_cannot_be_created(console_server):
    with client(console_server) as admin:
        assert login(admin, "ada").status_code == 303
        for name in ("system", "cli"):
            page = admin.post("/console/users", data={"csrf_token": csrf_of(admin, "/console/users"), "action": "add",
                                                      "name": name, "role": "admin", "password": "a long enough password"})
            assert page.status_code == 400 and "reserved" in page.text
        assert "<td>system</td>" not in admin.get("/console/users").text
    done = add_user(console_server, "System", "admin", "a long enough password")
    assert done.returncode == 1 and "reserved" in done.stderr
