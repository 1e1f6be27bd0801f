#!/usr/bin/env bash
# Debian packages some area needs that no area-specific step covers (one apt_need line each).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
apt_need pkg-config
