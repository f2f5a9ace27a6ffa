"""Where conversations are stored: every tracker-store layer (per-bot keys, redaction, cache, SQL)."""
