#!/usr/bin/env bash
# Retakes docs/images/job-page.png, the README's picture of the job page,
# from a real run (web/tests/readme_screenshot.mjs). Needs a build
# (scripts/build.sh) and Debian's Chromium (scripts/setup.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
TRAINYARD_BIN="$PWD/build/trainyard" node web/tests/readme_screenshot.mjs
