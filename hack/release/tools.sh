#!/usr/bin/env bash
# Installs what `make release-check` needs beyond `make bootstrap`, on a fresh Debian machine:
#   - from the system's own suite (apt-get, as root): podman, buildah, skopeo, runc, debootstrap,
#     qemu-user-static + binfmt-support (arm64 under emulation), docker-registry (CNCF Distribution);
#   - cosign 3.x, only in Debian sid: downloaded with a private apt state (the system's sources are
#     never touched), checked against sid's signed index, unpacked under .tools/ and linked into
#     .tools/bin. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools=$PWD/.tools
bin=$tools/bin
# Pinned; bump together with the README's "Verify" section if flags change.
cosign_version=3.1.1-2
mkdir -p "$bin"

say() { printf 'release-tools: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

missing=()
for pair in podman:podman buildah:buildah skopeo:skopeo runc:runc debootstrap:debootstrap \
  docker-registry:docker-registry update-binfmts:binfmt-support; do
  command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
[ -e /usr/bin/qemu-aarch64-static ] || missing+=(qemu-user-static)
[ -x /usr/lib/cni/dnsname ] || missing+=(golang-github-containernetworking-plugin-dnsname)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null ||
    die "missing ${missing[*]}: install them as root (Debian: apt-get install ${missing[*]})"
  say "installing ${missing[*]} with apt-get"
  apt=(apt-get -o DPkg::Lock::Timeout=600)
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >&2
  # The package starts a registry on :5000 where an init system runs; release-check starts its
  # own on a free port. Stop only that service.
  (command -v systemctl >/dev/null && systemctl disable --now docker-registry >/dev/null 2>&1) || true
  (command -v invoke-rc.d >/dev/null && invoke-rc.d docker-registry stop >/dev/null 2>&1) || true
fi

# --- cosign from sid, into .tools/cosign-<version>/ (never installed system-wide)
cosign_dir=$tools/cosign-$cosign_version
if [ ! -x "$cosign_dir/usr/bin/cosign" ]; then
  apt_root=$(mktemp -d /var/tmp/redline-sid-apt.XXXXXX)
  trap 'rm -rf "$apt_root"' EXIT
  mkdir -p "$apt_root"/{lists/partial,archives/partial,etc/preferences.d,download}
  touch "$apt_root/status"
  printf 'deb http://deb.debian.org/debian sid main\n' >"$apt_root/etc/sources.list"
  private=(-o "Dir::State=$apt_root" -o "Dir::State::Lists=$apt_root/lists" -o "Dir::State::status=$apt_root/status"
    -o "Dir::Etc::SourceList=$apt_root/etc/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
    -o "Dir::Etc::Preferences=/nonexistent" -o "Dir::Etc::PreferencesParts=$apt_root/etc/preferences.d"
    -o "Dir::Cache=$apt_root" -o "Dir::Cache::archives=$apt_root/archives" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
  say "cosign $cosign_version from Debian sid (private apt state in $apt_root)"
  apt-get "${private[@]}" update -qq >&2
  (cd "$apt_root/download" && apt-get "${private[@]}" download -qq "cosign=$cosign_version" >&2) ||
    die "cosign $cosign_version is no longer in sid: bump cosign_version in $0 (apt-cache policy cosign)"
  rm -rf "$cosign_dir.tmp" && mkdir -p "$cosign_dir.tmp"
  dpkg-deb -x "$apt_root"/download/cosign_*.deb "$cosign_dir.tmp"
  rm -rf "$cosign_dir" && mv "$cosign_dir.tmp" "$cosign_dir"
fi
ln -sfn "$cosign_dir/usr/bin/cosign" "$bin/cosign"
say "$(podman --version), $(buildah --version | cut -d' ' -f1-3), skopeo $(skopeo --version | awk '{print $3}'), $(docker-registry --version 2>&1 | awk '{print $1, $3}'), cosign $cosign_version"
