#!/usr/bin/env bash
# Installs the Prometheus versions the tests and `make local` run, project-locally:
#
#   3.x (the default everywhere): .tools/prometheus/3/bin/{prometheus,promtool}, linked from
#       .tools/bin. Taken from PROMETHEUS3_DIR when set (a folder with both binaries, e.g. an
#       official release tarball unpacked by CI), else from a prometheus >= 3.5 already on PATH,
#       else from Debian's `sid` suite through hack/debian-fetch.sh (static binaries, unpacked
#       under .tools; nothing is installed system-wide, the machine's apt configuration is kept).
#   2.x (compatibility runs): .tools/prometheus/2/bin, from PROMETHEUS2_DIR when set, else from
#       a prometheus 2.x on PATH, else Debian's package for the machine's own release (as root).
#       Optional: without it the 2.x runs are skipped, and say so.
#
# Idempotent: a second run only checks. Prints the versions it ended up with.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${REDLINE_TOOLS_DIR:-$PWD/.tools}
bin=$tools/bin
mkdir -p "$bin"

say() { printf 'prometheus: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# The oldest 3.x accepted, from versions.env (PROMETHEUS_MINIMUM=3.5.0).
minimum=$(sed -n 's/^PROMETHEUS_MINIMUM=//p' versions.env)
[ -n "$minimum" ] || die "versions.env has no PROMETHEUS_MINIMUM"
min_major=${minimum%%.*} min_minor=${minimum#*.}; min_minor=${min_minor%%.*}

# "3.5.3" from `prometheus --version` ("prometheus, version 3.5.3+ds1 (branch: …)").
version_of() { "$1" --version 2>/dev/null | sed -n '1s/^[a-z]*, version \([0-9][0-9.]*\).*/\1/p'; }
major_of() { echo "${1%%.*}"; }
minor_of() { local rest=${1#*.}; echo "${rest%%.*}"; }
is_v3() {
  local v; v=$(version_of "$1"); [ -n "$v" ] || return 1
  [ "$(major_of "$v")" -gt "$min_major" ] || { [ "$(major_of "$v")" -eq "$min_major" ] && [ "$(minor_of "$v")" -ge "$min_minor" ]; }
}
is_v2() { local v; v=$(version_of "$1"); [ -n "$v" ] && [ "$(major_of "$v")" -eq 2 ]; }

# A prometheus on PATH outside .tools, if any.
system_binary() { PATH=${PATH//$bin:/} command -v "$1" 2>/dev/null || true; }

# Links dir/{prometheus,promtool} as .tools/prometheus/$1/bin.
adopt() {
  local major=$1 dir=$2
  [ -x "$dir/prometheus" ] && [ -x "$dir/promtool" ] || die "$dir has no prometheus and promtool"
  mkdir -p "$tools/prometheus/$major/bin"
  ln -sfn "$dir/prometheus" "$tools/prometheus/$major/bin/prometheus"
  ln -sfn "$dir/promtool" "$tools/prometheus/$major/bin/promtool"
}

# Downloads prometheus and promtool from Debian sid (hack/debian-fetch.sh: the build machines'
# way, since they reach no other download) and unpacks them under .tools/prometheus/3.
from_sid() {
  command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
    die "Prometheus >= $min_major.$min_minor is needed: install it (https://prometheus.io/download/) and put prometheus and promtool on PATH, or set PROMETHEUS3_DIR"
  rm -rf "$tools/prometheus/3"
  mkdir -p "$tools/prometheus/3/bin"
  hack/debian-fetch.sh sid "$tools/prometheus/3/root" prometheus promtool
  ln -sfn ../root/usr/bin/prometheus "$tools/prometheus/3/bin/prometheus"
  ln -sfn ../root/usr/bin/promtool "$tools/prometheus/3/bin/promtool"
}

# --- 3.x
v3=$tools/prometheus/3/bin
if ! is_v3 "$v3/prometheus" 2>/dev/null || ! [ -x "$v3/promtool" ]; then
  if [ -n "${PROMETHEUS3_DIR:-}" ]; then
    adopt 3 "$PROMETHEUS3_DIR"
  elif [ -n "$(system_binary prometheus)" ] && is_v3 "$(system_binary prometheus)" && [ -n "$(system_binary promtool)" ]; then
    adopt 3 "$(dirname "$(system_binary prometheus)")"
  else
    from_sid
  fi
  is_v3 "$v3/prometheus" || die "got $("$v3/prometheus" --version 2>&1 | head -1), need >= $min_major.$min_minor"
fi
# The default prometheus and promtool of every make target and test.
ln -sfn "$v3/prometheus" "$bin/prometheus"
ln -sfn "$v3/promtool" "$bin/promtool"

# --- 2.x, for the compatibility runs
v2=$tools/prometheus/2/bin
if ! is_v2 "$v2/prometheus" 2>/dev/null; then
  if [ -n "${PROMETHEUS2_DIR:-}" ]; then
    adopt 2 "$PROMETHEUS2_DIR"
  elif [ -n "$(system_binary prometheus)" ] && is_v2 "$(system_binary prometheus)"; then
    adopt 2 "$(dirname "$(system_binary prometheus)")"
  elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's prometheus package (2.x) for the compatibility runs"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >&2
    # The package may start a system Prometheus on :9090; the project starts its own. Stop
    # only that service: other Prometheus processes on the machine are not ours to end.
    (command -v systemctl >/dev/null && systemctl disable --now prometheus >/dev/null 2>&1) || true
    (command -v invoke-rc.d >/dev/null && invoke-rc.d prometheus stop >/dev/null 2>&1) || true
    if is_v2 /usr/bin/prometheus; then adopt 2 /usr/bin; else say "Debian's package is not 2.x here: the 2.x runs will be skipped"; fi
  else
    say "no Prometheus 2.x (set PROMETHEUS2_DIR, or run as root on Debian): the 2.x runs will be skipped"
  fi
fi

say "default $(version_of "$v3/prometheus") ($v3); compatibility $( (is_v2 "$v2/prometheus" 2>/dev/null && version_of "$v2/prometheus") || echo 'none')"
