#!/usr/bin/env bash
# Installs Alertmanager (and amtool) for `make local`, `make drill` and the drill's tests,
# project-locally: .tools/alertmanager/bin/{alertmanager,amtool}, linked from .tools/bin. Taken
# from ALERTMANAGER_DIR when set (a folder with both binaries, e.g. the official release tarball
# unpacked by CI), else from an alertmanager >= ALERTMANAGER_MINIMUM already on PATH, else from
# Debian's `sid` suite through hack/debian-fetch.sh (unpacked under .tools; nothing is installed
# system-wide). Idempotent: a second run only checks. Prints the version it ended up with.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${REDLINE_TOOLS_DIR:-$PWD/.tools}
bin=$tools/bin
home=$tools/alertmanager
mkdir -p "$bin"

say() { printf 'alertmanager: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

minimum=$(sed -n 's/^ALERTMANAGER_MINIMUM=//p' versions.env)
[ -n "$minimum" ] || die "versions.env has no ALERTMANAGER_MINIMUM"
min_major=${minimum%%.*} min_minor=${minimum#*.}; min_minor=${min_minor%%.*}

# "0.33.1" from `alertmanager --version` ("alertmanager, version 0.33.1+ds (branch: …)").
version_of() { "$1" --version 2>/dev/null | sed -n '1s/^[a-z]*, version \([0-9][0-9.]*\).*/\1/p'; }
new_enough() {
  local v major rest minor
  v=$(version_of "$1"); [ -n "$v" ] || return 1
  major=${v%%.*} rest=${v#*.} minor=${rest%%.*}
  [ "$major" -gt "$min_major" ] || { [ "$major" -eq "$min_major" ] && [ "$minor" -ge "$min_minor" ]; }
}
system_binary() { PATH=${PATH//$bin:/} command -v "$1" 2>/dev/null || true; }

adopt() {
  local dir=$1
  [ -x "$dir/alertmanager" ] && [ -x "$dir/amtool" ] || die "$dir has no alertmanager and amtool"
  rm -rf "$home"
  mkdir -p "$home/bin"
  ln -sfn "$dir/alertmanager" "$home/bin/alertmanager"
  ln -sfn "$dir/amtool" "$home/bin/amtool"
}

# Debian names the package prometheus-alertmanager; its binaries are /usr/bin/prometheus-alertmanager
# and /usr/bin/amtool.
from_sid() {
  command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
    die "Alertmanager >= $minimum is needed: install it (https://prometheus.io/download/#alertmanager) and put alertmanager and amtool on PATH, or set ALERTMANAGER_DIR"
  rm -rf "$home"
  mkdir -p "$home/bin"
  hack/debian-fetch.sh sid "$home/root" prometheus-alertmanager
  ln -sfn ../root/usr/bin/prometheus-alertmanager "$home/bin/alertmanager"
  ln -sfn ../root/usr/bin/amtool "$home/bin/amtool"
}

# Debian's build reads its notification templates from the absolute path
# /usr/share/prometheus/alertmanager (upstream's binary embeds them): without them it refuses
# every configuration. When they are missing, copy the unpacked ones there (root only).
debian_templates() {
  local system=/usr/share/prometheus/alertmanager unpacked=$home/root/usr/share/prometheus/alertmanager
  [ -f "$unpacked/default.tmpl" ] && [ ! -f "$system/default.tmpl" ] || return 0
  [ "$(id -u)" = 0 ] || die "Debian's alertmanager needs its templates in $system: run as root once, or install upstream's (ALERTMANAGER_DIR)"
  say "copying Debian's notification templates to $system (its binary reads them from there)"
  mkdir -p "$system"
  cp "$unpacked"/*.tmpl "$system/"
}

if ! new_enough "$home/bin/alertmanager" 2>/dev/null || ! [ -x "$home/bin/amtool" ]; then
  if [ -n "${ALERTMANAGER_DIR:-}" ]; then
    adopt "$ALERTMANAGER_DIR"
  elif [ -n "$(system_binary alertmanager)" ] && new_enough "$(system_binary alertmanager)" && [ -n "$(system_binary amtool)" ]; then
    adopt "$(dirname "$(system_binary alertmanager)")"
  elif [ "$(uname -s)" = Darwin ]; then
    die "alertmanager is missing: brew install alertmanager (make local and make drill need it)"
  else
    from_sid
  fi
  new_enough "$home/bin/alertmanager" || die "got $("$home/bin/alertmanager" --version 2>&1 | head -1), need >= $minimum"
fi
debian_templates
ln -sfn "$home/bin/alertmanager" "$bin/alertmanager"
ln -sfn "$home/bin/amtool" "$bin/amtool"
say "$(version_of "$bin/alertmanager") ($home/bin)"
