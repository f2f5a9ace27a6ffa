#!/usr/bin/env bash
# Installs the system packages the real-part tests need, only when missing:
# Debian's Chromium (browser tests; Playwright never downloads a browser here) and npm.
#   install-system-deps.sh build   only what `make install` builds against (see below)
# Safe to run again: it does nothing when everything is present.
set -euo pipefail

need=()
# matplotlib 3.5 (Rasa 3.6's cap) has no Python 3.11 wheels: pip compiles it against Debian's
# FreeType and Qhull (scripts/mplsetup.cfg) instead of letting its build download them.
for package in g++ pkg-config libfreetype-dev libqhull-dev; do
  dpkg -s "$package" >/dev/null 2>&1 || need+=("$package")
done

if [ "${1:-}" != build ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  # npm installs axe-core (package-lock.json) for the browser tests' accessibility checks.
  command -v npm >/dev/null 2>&1 || need+=(npm)
  # Fonts with Chinese glyphs, so screenshots of Cantonese text are legible.
  [ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)

  # PostgreSQL and Redis for the scale-out tests (started by scripts/services.sh).
  bash "$(dirname "$0")/services.sh" install
fi

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "Missing system packages: ${need[*]}. Install them as root: apt-get install ${need[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
