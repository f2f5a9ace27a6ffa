"""The project's build files: a pinned backend that builds our metadata with no deprecation warning.

Plain Python (no Rasa). `make install-current` puts exactly the backend pinned in pyproject.toml,
alone, in .venv-current/build-backend (as pip's isolated build env would hold it), so nothing is
downloaded at test time.
"""
from __future__ import annotations

import re
import shutil
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BACKEND_DIR = REPO / ".venv-current" / "build-backend"
# What a build reads; the venvs, caches and trained models stay out of the copy.
NOT_BUILD_INPUT = shutil.ignore_patterns(
    ".venv*", "var", ".git", "tests", "*.egg-info", "__pycache__", "build", "dist", "node_modules"
)


def build_system() -> dict:
    """The [build-system] table of pyproject.toml."""
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]


def pinned(requirement: str) -> tuple[str, str] | None:
    """(name, version) when a requirement pins one exact version, else None."""
    found = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*==\s*([A-Za-z0-9_.+-]+)\s*", requirement)
    return (found.group(1), found.group(2)) if found else None


def pinned_setuptools() -> str:
    """The setuptools version pyproject.toml pins as its build backend."""
    for requirement in build_system()["requires"]:
        pin = pinned(requirement)
        if pin and pin[0].lower() == "setuptools":
            return pin[1]
    raise AssertionError("pyproject.toml's [build-system] does not pin setuptools")


def test_build_backend_is_pinned_exactly() -> None:
    system = build_system()
    assert system["build-backend"] == "setuptools.build_meta"
    unpinned = [r for r in system["requires"] if pinned(r) is None]
    assert not unpinned, f"build requirements without an exact version: {unpinned}"
    pinned_setuptools()


def test_license_is_an_spdx_string() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "Apache-2.0"


def test_the_licence_text_ships_with_the_source() -> None:
    """The SPDX string names the licence; the LICENSE file is what a department's lawyers read."""
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text


@pytest.mark.parametrize("hook", ["prepare_metadata_for_build_editable", "prepare_metadata_for_build_wheel"])
def test_metadata_builds_without_warnings(hook: str, tmp_path: Path) -> None:
    """What `pip install -e .` (and a wheel build) asks the backend, with every warning shown."""
    wanted = pinned_setuptools()
    if not (BACKEND_DIR / f"setuptools-{wanted}.dist-info").is_dir():
        pytest.skip(f"setuptools=={wanted} is not in {BACKEND_DIR}: run `make install-current` (make test does)")
    source = tmp_path / "src"
    shutil.copytree(REPO, source, ignore=NOT_BUILD_INPUT)
    out = tmp_path / "metadata"
    out.mkdir()
    script = (
        "import sys, setuptools, setuptools.build_meta as backend\n"
        f"name = backend.{hook}(sys.argv[1])\n"
        "print(setuptools.__version__)\n"
        "print(name)\n"
    )
    # -S: no site-packages, only the standard library and the backend, like pip's isolated build.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env["PYTHONPATH"] = str(BACKEND_DIR)
    done = subprocess.run(
        [sys.executable, "-S", "-W", "always", "-c", script, str(out)],
        cwd=source, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    version, dist_info = done.stdout.strip().splitlines()[-2:]
    assert version == wanted
    warnings = [line for line in done.stderr.splitlines() if "Warning" in line or "deprecat" in line.lower()]
    assert not warnings, "the build printed warnings:\n" + done.stderr
    fields = (out / dist_info / "METADATA").read_text(encoding="utf-8")
    assert "License-Expression: Apache-2.0" in fields
    assert re.search(r"^Requires-Python: .+", fields, re.M)


def test_make_installs_the_pinned_backend() -> None:
    """The backend `make install-current` installs for the warning test is the one pyproject.toml pins."""
    lines = (REPO / "scripts" / "build-backend.txt").read_text(encoding="utf-8").splitlines()
    pins = [pinned(line) for line in lines if line.strip().lower().startswith("setuptools")]
    assert pins == [("setuptools", pinned_setuptools())]
