#!/usr/bin/env bash
# Installs every Debian package that the build, the tests and the examples
# need, on a fresh Debian 12 machine. Idempotent and non-interactive.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  # Boost 1.74 is Debian 12's default; scipy (through pythran) depends on it
  # and conflicts with libboost1.81-dev.
  libboost-dev libabsl-dev libyaml-cpp-dev libsqlite3-dev sqlite3 libcli11-dev
  libspdlog-dev libfmt-dev nlohmann-json3-dev libarchive-dev libssl-dev openssl
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-numpy python3-sklearn python3-torch
  # Open MPI's mpirun launches distribution type mpi; mpi4py runs its test.
  openmpi-bin python3-mpi4py
  # The official Kubernetes API models, to check the manifests the agent writes.
  python3-kubernetes
  curl procps iproute2
  # The browser that the web page's end-to-end tests drive (headless).
  chromium
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

# Node.js and npm bundle the web page (Debian 12 ships Node 18). A Node.js
# installed another way, which brings its own npm, is used as it is.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_prefix=()
  [ "$(id -u)" -eq 0 ] || sudo_prefix=(sudo)
  "${sudo_prefix[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_prefix[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
fi

# The web page's npm packages, pinned by web/package-lock.json.
web_dir="$(dirname "$0")/../web"
if [ ! -f "$web_dir/node_modules/.package-lock.json" ] ||
   [ "$web_dir/package-lock.json" -nt "$web_dir/node_modules/.package-lock.json" ]; then
  echo "setup: installing the web page's npm packages"
  (cd "$web_dir" && npm ci --no-audit --no-fund)
fi
