"""QR codes for the kiosk's source links, drawn here with segno (no outside service, nothing downloaded)."""
from __future__ import annotations

import io
from functools import lru_cache
from urllib.parse import urlsplit

import segno

#: Longer links make dense codes that a phone cannot read off a kiosk screen.
MAX_URL_CHARS = 500


def qr_url(value: str | None) -> str | None:
    """The link to encode if it is a plain http(s) URL of sensible length; None otherwise."""
    url = (value or "").strip()
    if not url or len(url) > MAX_URL_CHARS or any(ord(c) < 33 for c in url):
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.hostname else None


@lru_cache(maxsize=256)
def qr_svg(url: str) -> str:
    """An SVG QR code (black on white, quiet zone included) that encodes `url`."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="svg", scale=4, border=4, xmldecl=False,
                                                 dark="#000000", light="#ffffff")
    return buffer.getvalue().decode("utf-8")
