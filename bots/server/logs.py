"""Readable one-line logs for a department's IT team, and a quiet Rasa underneath."""
from __future__ import annotations

import logging
import os
import sys
import warnings

from privacy import install_log_redaction

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
NOISY = ("rasa", "rasa_sdk", "sanic.root", "sanic.error", "tensorflow", "absl", "jieba", "matplotlib", "apscheduler", "urllib3", "asyncio")


def quiet_rasa(level: int = logging.WARNING) -> None:
    """Route Rasa's structlog through `logging` and keep its chatter at `level`."""
    import structlog

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.processors.add_log_level,
            structlog.processors.format_exc_info,
            structlog.processors.KeyValueRenderer(key_order=["event"], drop_missing=True),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )
    for name in NOISY:
        logging.getLogger(name).setLevel(level)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    # Rasa's own deprecation and migration notes mean nothing to a department's IT team.
    for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning, UserWarning):
        warnings.filterwarnings("ignore", category=category)


def configure_logging(level_name: str | None = None) -> None:
    """One line per event on stderr: time, level, where, what (HKBOT_LOG_LEVEL, default INFO)."""
    level = logging.getLevelName((level_name or os.environ.get("HKBOT_LOG_LEVEL", "INFO")).upper())
    if not isinstance(level, int):
        level = logging.INFO
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT, datefmt="%Y-%m-%d %H:%M:%S"))
    root.addHandler(handler)
    install_log_redaction(root)  # privacy: no personal data in logs
    root.setLevel(level)
    quiet_rasa(max(level, logging.WARNING))
