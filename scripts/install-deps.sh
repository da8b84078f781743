#!/usr/bin/env bash
# Installs the Debian packages fti builds against, when they are missing.
# Runs as root (CI, fresh machines) or via sudo when available.
set -euo pipefail
pkgs=(build-essential cmake pkg-config libssl-dev libjansson-dev liblapack-dev
      libopenblas-dev liblapacke-dev libomp-dev clang python3 python3-numpy)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "fti: installing missing packages: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null || true
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
