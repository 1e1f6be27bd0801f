#!/usr/bin/env bash
# Debian packages some area needs. Areas add their packages to APT_PACKAGES below (one line each).
set -euo pipefail
APT_PACKAGES=(
  pkg-config
)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
