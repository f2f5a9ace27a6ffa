"""A local HTTP server standing in for the Telegram Bot API, Twilio's REST API and a REST-callback client.

It answers the documented calls the channels make (Telegram: getMe, setWebhook, sendMessage;
Twilio: POST /2010-04-01/Accounts/<sid>/Messages.json; a callback: POST /callback) and records
every call so that a test can check what would have been sent to the provider.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit


class ProviderStub:
    """Records calls as dicts: {"kind": telegram|twilio|callback, "method"/"path", "fields", "auth"}."""

    def __init__(self, telegram_usernames: dict[str, str] | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.telegram_usernames = telegram_usernames or {}  # bot token -> the bot's username (getMe)
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                stub.handle(self, body)

            do_GET = do_POST  # noqa: N815

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "ProviderStub":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def fields(handler: BaseHTTPRequestHandler, body: bytes) -> dict[str, Any]:
        kind = handler.headers.get("content-type") or ""
        if "json" in kind:
            return json.loads(body or b"{}")
        query = dict(parse_qs(urlsplit(handler.path).query))
        query.update(parse_qs(body.decode("utf-8"), keep_blank_values=True))
        return {key: values[0] if len(values) == 1 else values for key, values in query.items()}

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        path = urlsplit(handler.path).path
        fields = self.fields(handler, body)
        if path.startswith("/bot"):  # Telegram: /bot<token>/<method>
            token, method = path[4:].split("/", 1)
            call = {"kind": "telegram", "token": token, "method": method, "fields": fields}
            answer = self.telegram_answer(token, method, fields)
            status = 200
        elif path.startswith("/2010-04-01/Accounts/"):
            call = {"kind": "twilio", "path": path, "fields": fields, "auth": handler.headers.get("authorization")}
            answer = {"sid": f"SM{len(self.calls):032d}", "status": "queued", "body": fields.get("Body"), "to": fields.get("To"),
                      "from": fields.get("From"), "account_sid": path.split("/")[3], "date_created": None, "num_segments": "1"}
            status = 201
        else:
            call = {"kind": "callback", "path": path, "fields": fields}
            answer, status = {"ok": True}, 200
        with self.lock:
            self.calls.append(call)
        data = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def telegram_answer(self, token: str, method: str, fields: dict[str, Any]) -> dict[str, Any]:
        if method == "getMe":
            result: Any = {"id": 42, "is_bot": True, "first_name": "bot", "username": self.telegram_usernames.get(token, "unknown")}
        elif method == "sendMessage":
            result = {"message_id": len(self.calls) + 1, "date": int(time.time()), "text": fields.get("text"),
                      "chat": {"id": int(fields.get("chat_id", 0)), "type": "private"}}
        else:
            result = True
        return {"ok": True, "result": result}

    def matching(self, test: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        with self.lock:
            return [call for call in self.calls if test(call)]

    def wait_for(self, test: Callable[[dict[str, Any]], bool], count: int = 1, seconds: float = 60) -> list[dict[str, Any]]:
        """The matching calls once there are at least `count` (AssertionError after `seconds`)."""
        deadline = time.monotonic() + seconds
        while True:
            found = self.matching(test)
            if len(found) >= count:
                return found
            assert time.monotonic() < deadline, f"the provider stub did not get {count} such call(s); it got {self.calls[-5:]}"
            time.sleep(0.1)
