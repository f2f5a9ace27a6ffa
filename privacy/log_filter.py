"""A `logging.Filter` that redacts personal data from log records before any handler writes them."""
from __future__ import annotations

import logging
from typing import AbstractSet, Iterable, Optional

from privacy.redact import KINDS, redact

_formatter = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Replaces personal data in a record's message and traceback with typed marks; never drops a record."""

    def __init__(self, kinds: Iterable[str] = KINDS, keep: AbstractSet[str] = frozenset()) -> None:
        super().__init__()
        self.kinds = tuple(kinds)
        self.keep = frozenset(keep)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string is the logger's bug; log what we have
            message = str(record.msg)
        record.msg, record.args = redact(message, self.kinds, self.keep), None
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.kinds, self.keep)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.kinds, self.keep)
        return True


def install_log_redaction(logger: Optional[logging.Logger] = None) -> RedactingFilter:
    """Add one RedactingFilter to every handler of `logger` (the root logger by default); idempotent.

    Handlers, not loggers, get the filter: a logger's own filters do not see records
    that propagate up from its children (rasa.*, sanic.*, hkbot.*).
    """
    target = logger or logging.getLogger()
    existing = next((f for h in target.handlers for f in h.filters if isinstance(f, RedactingFilter)), None)
    log_filter = existing or RedactingFilter()
    for handler in target.handlers:
        if log_filter not in handler.filters:
            handler.addFilter(log_filter)
    return log_filter
