#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing and running the demo need.
# Idempotent: packages already present are left alone and apt is not touched at all.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang clang-format
  libboost1.81-dev libssl-dev nlohmann-json3-dev libvalijson-dev
  libsqlite3-dev sqlite3 libyaml-cpp-dev zlib1g-dev
  libgtest-dev libgmock-dev
  libxml2-dev libxml2-utils
  libzip-dev libjemalloc-dev
  libclang-rt-14-dev
  python3-feedparser python3-icalendar
  curl python3 openssl
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# The webhook test's receiver runs on Node.js with an npm package; any Node.js 18+ with npm will do, so one
# already on the machine (from Debian or elsewhere) is kept.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
