#!/usr/bin/env bash
# Downloads Debian packages of one suite and unpacks them into a folder, without installing
# anything system-wide or touching the machine's apt configuration: `apt-get download` with a
# private sources list and private state and cache folders, then `dpkg-deb -x`. The build
# machines have no internet but Debian's mirror, so this is how they get programs that their
# own Debian release ships too old (Prometheus 3, Alertmanager); users get them from upstream.
#
#   hack/debian-fetch.sh SUITE DEST PACKAGE...     e.g. hack/debian-fetch.sh sid .tools/x prometheus
set -euo pipefail

say() { printf 'debian-fetch: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

[ $# -ge 3 ] || die "usage: $0 SUITE DEST PACKAGE..."
suite=$1 dest=$2
shift 2
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || die "needs apt-get and dpkg-deb (Debian or Ubuntu)"

# The Debian mirror the machine's own sources name, so the download goes where apt already goes.
debian_mirror() {
  local uri
  uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    sed -n -e 's/^URIs:[[:space:]]*\(http[^[:space:]]*\/debian\)\/\{0,1\}$/\1/p' \
           -e 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\(http[^[:space:]]*\/debian\)\/\{0,1\}[[:space:]].*/\2/p' | head -1)
  echo "${uri:-http://deb.debian.org/debian}"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
arch=$(dpkg --print-architecture)
mirror=$(debian_mirror)
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || die "$keyring is missing (apt-get install debian-archive-keyring)"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
echo "deb [signed-by=$keyring] $mirror $suite main" >"$work/sources.list"
apt=(apt-get -qq -o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o Dir::State::Status=/dev/null
  -o "APT::Architecture=$arch" -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
say "downloading $* from Debian $suite ($mirror, $arch)"
"${apt[@]}" update >&2
(cd "$work/debs" && "${apt[@]}" download "$@" >&2)
mkdir -p "$dest"
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$dest"; done
