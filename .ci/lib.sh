# Helpers for .ci/setup.d/*.sh (sourced). Each step names the Debian packages it needs with
# apt_need; .ci/setup first runs every step in collect mode (WABLOCK_SETUP_COLLECT set) to
# gather what is missing, installs it all at once as root or prints the one command to run
# otherwise, then runs the steps again for their checks.

# apt_need PACKAGE...: records each package that is not installed.
apt_need() {
  local p
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || echo "$p" >>"${WABLOCK_SETUP_MISSING:-/dev/null}"
  done
}

# apt_need_command COMMAND PACKAGE: records PACKAGE when COMMAND is not on the PATH (for tools
# that may come from elsewhere than Debian, such as a JDK).
apt_need_command() {
  command -v "$1" >/dev/null 2>&1 || echo "$2" >>"${WABLOCK_SETUP_MISSING:-/dev/null}"
}

# collect_only: ends the step here in collect mode (its checks need the packages installed).
collect_only() {
  if [ -n "${WABLOCK_SETUP_COLLECT:-}" ]; then exit 0; fi
}
