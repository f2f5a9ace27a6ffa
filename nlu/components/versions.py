"""The Rasa, scikit-learn and scipy versions hkbot's fast paths were tested with, and a check of the installed ones.

hkbot's speed-ups rely on those libraries' internals (private methods, matrix layouts), so
they run only on the versions pinned in constraints.txt (a test keeps the two in step).
On any other version hkbot runs with Rasa's own code, and says so in the log once.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import Dict, List, Tuple

logger = logging.getLogger("hkbot.versions")

#: Package (distribution name) -> the version the speed-ups were tested with; as pinned in constraints.txt.
TESTED_VERSIONS: Dict[str, str] = {"rasa": "3.6.21", "scikit-learn": "1.1.3", "scipy": "1.10.1"}


def installed_version(package: str) -> str:
    """The installed version of a distribution, or `not installed`."""
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def untested_versions() -> List[Tuple[str, str, str]]:
    """(package, found, tested) for every package whose installed version is not the tested one."""
    found = [(package, installed_version(package), tested) for package, tested in TESTED_VERSIONS.items()]
    return [(package, have, tested) for package, have, tested in found if have != tested]


@lru_cache(maxsize=None)
def speedups_allowed(part: str) -> bool:
    """True when every tested package has its tested version; otherwise log once, for `part`, that it runs as Rasa does."""
    mismatches = untested_versions()
    for package, found, tested in mismatches:
        logger.warning("%s: %s %s is installed but hkbot was tested with %s; hkbot runs without this speed-up (Rasa's own code)", part, package, found, tested)
    return not mismatches
