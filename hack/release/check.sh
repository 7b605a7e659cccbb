#!/usr/bin/env bash
# make release-check: the release path end to end against a real registry on this machine.
#   1. a CNCF Distribution registry (Debian's docker-registry) on 127.0.0.1:<free port>, own storage;
#   2. the image for linux/amd64 and linux/arm64 (qemu-user-static) from the Dockerfile, one
#      manifest list pushed as :VERSION; the chart packaged (default image = that image) and pushed;
#   3. both signed by digest with a throwaway cosign key; a CycloneDX SBOM attested on the image;
#   4. as a user: helm show/template from oci://, the image reference resolved in the registry,
#      both platforms in the manifest list, the arm64 image answering /healthz under emulation,
#      cosign verify (image, chart), verify-attestation (SBOM), and verify FAILING for an
#      unsigned digest pushed next to the release;
#   5. the metrics package published to a local npm registry (Verdaccio) and installed back by a
#      scratch app that Prometheus 3 scrapes with native histograms (hack/release/npm-check.ts).
# Then the registry stops and everything created for the check is removed.
# Env: KEEP=1 keeps the temp dir and registry running for inspection (prints how to stop it).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo_root=$PWD
export PATH=$repo_root/.tools/bin:$repo_root/node_modules/.bin:$PATH
podman_cmd=$repo_root/hack/container/podman.sh
started=$(date +%s)

say() { printf 'release-check: %s\n' "$*"; }
die() { printf 'release-check: FAILED: %s\n' "$*" >&2; exit 1; }
elapsed() { echo "$(($(date +%s) - started))s"; }

hack/release/tools.sh
version=$(node scripts/release/version.ts check)
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
source_url=${RELEASE_SOURCE_URL:-https://github.com/redline-dev/redline}
say "version $version (package.json = Chart.yaml version = appVersion), revision $revision"

# Base images: the host's (amd64) and the arm64 stand-in, both cached in podman's storage.
hack/container/base-image.sh
ARCH=arm64 hack/container/base-image.sh
from=$(awk 'toupper($1)=="FROM" && $2 ~ /^node:/ {print $2; exit}' Dockerfile)
arm64_base=localhost/node-arm64:${from#node:}
say "bases ready after $(elapsed): docker.io/library/$from (amd64), $arm64_base (arm64)"

# One release-check at a time on a machine (two `make test` runs may start together): the
# second waits, and the build-cache pruning below never races another run's build.
exec 8>/var/tmp/redline-release-check.lock
flock 8

# ---------------------------------------------------------------------------------------------
work=$(mktemp -d /var/tmp/redline-release-check.XXXXXX)
id=$(basename "$work" | cut -d. -f2 | tr '[:upper:]' '[:lower:]')
local_image=localhost/redline-release-check-$id
manifest=localhost/redline-release-check-$id:list
container=redline-release-check-$id
registry_pid=
pulled=()
# Helm's and cosign's caches and credentials stay in the temp dir too.
export HELM_CACHE_HOME=$work/helm/cache HELM_CONFIG_HOME=$work/helm/config HELM_DATA_HOME=$work/helm/data
export TUF_ROOT=$work/sigstore COSIGN_PASSWORD=release-check-$id
export COSIGN_YES=true

cleanup() {
  local status=$?
  set +e
  if [ -n "${KEEP:-}" ]; then
    say "KEEP=1: left $work and registry pid $registry_pid (kill $registry_pid; rm -rf $work)"
    return
  fi
  "$podman_cmd" rm -f -t 0 "$container" >/dev/null 2>&1
  "$podman_cmd" manifest rm "$manifest" >/dev/null 2>&1
  # The deps stages stay as build cache (untagged); everything else of the run goes.
  "$podman_cmd" untag "$local_image:deps-amd64" >/dev/null 2>&1
  "$podman_cmd" untag "$local_image:deps-arm64" >/dev/null 2>&1
  for ref in "${pulled[@]}" "$local_image:amd64" "$local_image:arm64" "$local_image:tampered"; do
    "$podman_cmd" rmi -f "$ref" >/dev/null 2>&1
  done
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null; wait "$registry_pid" 2>/dev/null; fi
  rm -rf "$work"
  local left
  left=$("$podman_cmd" images --format '{{.Repository}}' | grep -c -e "redline-release-check-$id" -e "^${registry:-none}/" || true)
  if [ "$status" = 0 ]; then
    say "cleaned up: registry (pid $registry_pid) stopped, $work removed, $left podman images left from this run"
  fi
}
trap cleanup EXIT
# Interrupted (Ctrl-C, a test timeout's SIGTERM): exit through the same cleanup.
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 1. registry ------------------------------------------------------------------------------
free_port() { node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }
for attempt in 1 2 3; do
  port=$(free_port)
  mkdir -p "$work/registry"
  cat >"$work/registry.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
  docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 50); do
    curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
    kill -0 "$registry_pid" 2>/dev/null || break
    sleep 0.1
  done
  curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
  kill "$registry_pid" 2>/dev/null || true
  registry_pid=
  [ "$attempt" = 3 ] && { cat "$work/registry.log" >&2; die "registry did not start"; }
done
registry=127.0.0.1:$port
image_repo=$registry/redline/redline
chart_repo=oci://$registry/redline/charts
say "registry: $(docker-registry --version | awk '{print $1, $3}') on http://$registry (pid $registry_pid, storage $work/registry)"

# --- 2. build both platforms, one manifest list -------------------------------------------------
labels=(--label "org.opencontainers.image.source=$source_url" --label "org.opencontainers.image.revision=$revision"
  --label "org.opencontainers.image.version=$version" --label "org.opencontainers.image.licenses=Apache-2.0")
# As `make image`: a TLS-intercepting proxy's CA and an .npmrc reach `npm ci` as build secrets only.
secrets=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -s "$NODE_EXTRA_CA_CERTS" ]; then secrets+=(--secret "id=ca,src=$NODE_EXTRA_CA_CERTS"); fi
if [ -n "${NPMRC:-}" ]; then secrets+=(--secret "id=npmrc,src=$NPMRC"); fi
build() { # arch, extra args…
  local arch=$1 t0=$(date +%s)
  shift
  "$podman_cmd" build --quiet --pull=never --platform "linux/$arch" "${labels[@]}" ${secrets[@]+"${secrets[@]}"} "$@" -t "$local_image:$arch" -f Dockerfile . >"$work/build-$arch.log" 2>&1 ||
    { tail -30 "$work/build-$arch.log" >&2; die "podman build linux/$arch"; }
  # The deps stage (npm ci: minutes under emulation) by name, from the cache the build just
  # filled, so the pruning below keeps it and the next run reuses it.
  "$podman_cmd" build --quiet --pull=never --platform "linux/$arch" "${labels[@]}" ${secrets[@]+"${secrets[@]}"} "$@" --target deps \
    -t "$local_image:deps-$arch" -f Dockerfile . >>"$work/build-$arch.log" 2>&1 ||
    { tail -30 "$work/build-$arch.log" >&2; die "podman build --target deps linux/$arch"; }
  say "built linux/$arch in $(($(date +%s) - t0))s"
}
build amd64 &
amd64_build=$!
# The Dockerfile's FROM name is the host's base; for arm64 it maps to the arm64 stand-in.
build arm64 --build-context "$from=docker-image://$arm64_base"
wait "$amd64_build" || die "podman build linux/amd64"
for arch in amd64 arm64; do
  got=$("$podman_cmd" image inspect --format '{{.Os}}/{{.Architecture}}' "$local_image:$arch")
  [ "$got" = "linux/$arch" ] || die "$local_image:$arch is $got, want linux/$arch"
done

"$podman_cmd" manifest create "$manifest" >/dev/null
for arch in amd64 arm64; do
  "$podman_cmd" manifest add "$manifest" "containers-storage:$local_image:$arch" >/dev/null
done
"$podman_cmd" manifest push --quiet --all --tls-verify=false --format oci --digestfile "$work/index.digest" \
  "$manifest" "docker://$image_repo:$version" >/dev/null
index_digest=$(cat "$work/index.digest")
# podman's layer cache for these builds (labelled with the source URL) keeps only what this
# run used: earlier runs' layers that nothing uses any more go, leaf by leaf.
pruned=0
for _ in $(seq 30); do
  mapfile -t stale < <("$podman_cmd" images -a -q --filter dangling=true --filter "label=org.opencontainers.image.source=$source_url")
  [ ${#stale[@]} -gt 0 ] || break
  "$podman_cmd" rmi "${stale[@]}" >/dev/null 2>&1 || break
  pruned=$((pruned + ${#stale[@]}))
done
say "pushed image $image_repo:$version (build cache: $pruned stale layer image(s) of earlier runs pruned)"
say "  index       $index_digest"

# --- the chart: a copy whose default image is the pushed one, packaged and pushed -------------
mkdir -p "$work/chart"
cp -r charts/redline "$work/chart/redline"
node scripts/release/version.ts stamp-chart "$work/chart/redline" "$image_repo"
helm package "$work/chart/redline" --destination "$work" >/dev/null
helm push "$work/redline-$version.tgz" "$chart_repo" --plain-http >"$work/helm-push.log" 2>&1 ||
  { cat "$work/helm-push.log" >&2; die "helm push"; }
chart_digest=$(awk '/^Digest:/ {print $2}' "$work/helm-push.log")
say "pushed chart $chart_repo/redline:$version"
say "  chart       $chart_digest"

# --- 3. sign both by digest, attest the SBOM ---------------------------------------------------
cosign_flags=(--allow-http-registry --allow-insecure-registry)
(cd "$work" && cosign generate-key-pair --output-key-prefix cosign >/dev/null 2>&1) || die "cosign generate-key-pair"
sign() { # reference, extra args…
  local ref=$1
  shift
  cosign sign --key "$work/cosign.key" --tlog-upload=false --use-signing-config=false "${cosign_flags[@]}" "$@" "$ref" >>"$work/cosign.log" 2>&1 ||
    { tail -20 "$work/cosign.log" >&2; die "cosign sign $ref"; }
}
sign "$image_repo@$index_digest" --recursive
sign "$registry/redline/charts/redline@$chart_digest"
npm sbom --omit=dev --package-lock-only --sbom-format=cyclonedx --sbom-type=application >"$work/sbom.cdx.json" 2>"$work/sbom.log" ||
  { cat "$work/sbom.log" >&2; die "npm sbom"; }
components=$(node -e 'console.log(JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")).components.length)' "$work/sbom.cdx.json")
cosign attest --key "$work/cosign.key" --tlog-upload=false --use-signing-config=false "${cosign_flags[@]}" --type cyclonedx \
  --predicate "$work/sbom.cdx.json" "$image_repo@$index_digest" >>"$work/cosign.log" 2>&1 ||
  { tail -20 "$work/cosign.log" >&2; die "cosign attest"; }
say "signed image (index + both platforms) and chart by digest; attested CycloneDX SBOM ($components components)"

# --- 4. as a user ------------------------------------------------------------------------------
helm show chart "$chart_repo/redline" --version "$version" --plain-http >"$work/show.yaml" 2>"$work/show.log" ||
  { cat "$work/show.log" >&2; die "helm show chart"; }
say "helm show chart $chart_repo/redline --version $version: $(awk '/^(name|version|appVersion):/ {printf "%s ", $0}' "$work/show.yaml")"
helm template redline "$chart_repo/redline" --version "$version" --plain-http >"$work/rendered.yaml" 2>"$work/template.log" ||
  { cat "$work/template.log" >&2; die "helm template"; }
objects=$(grep -c '^kind:' "$work/rendered.yaml")
mapfile -t images < <(awk '$1 == "image:" || $1 == "-" && $2 == "image:" {print $NF}' "$work/rendered.yaml" | tr -d '"' | sort -u)
say "helm template redline $chart_repo/redline --version $version --plain-http: OK, $objects objects, images: ${images[*]}"
[ "${images[*]}" = "$image_repo:$version" ] || die "the chart's images are ${images[*]}, want $image_repo:$version"
skopeo inspect --raw --tls-verify=false "docker://${images[0]}" >"$work/index.json" || die "${images[0]} does not resolve in the registry"
resolved=sha256:$(sha256sum "$work/index.json" | cut -d' ' -f1)
[ "$resolved" = "$index_digest" ] || die "${images[0]} resolves to $resolved, want the pushed $index_digest"
say "chart image ${images[0]} resolves in the registry to $resolved (the pushed index)"

declare -A platform_digest
while read -r platform digest; do platform_digest[$platform]=$digest; done < <(
  node -e 'const i = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
    for (const m of i.manifests ?? []) if (m.platform) console.log(`${m.platform.os}/${m.platform.architecture} ${m.digest}`);' "$work/index.json")
for platform in linux/amd64 linux/arm64; do
  [ -n "${platform_digest[$platform]:-}" ] || die "manifest list has no $platform: $(cat "$work/index.json")"
  # The platform's own config: its architecture and the OCI labels the release sets.
  config=$(skopeo inspect --tls-verify=false --config "docker://$image_repo@${platform_digest[$platform]}" |
    node -e 'let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => { const c = JSON.parse(s), l = c.config.Labels ?? {};
      const oci = (k) => l[`org.opencontainers.image.${k}`] ?? "-";
      console.log(`${c.os}/${c.architecture} ${oci("version")} ${oci("revision")} ${oci("source")} ${oci("licenses")}`); })')
  [ "$config" = "$platform $version $revision $source_url Apache-2.0" ] ||
    die "$platform entry's config says $config, want $platform $version $revision $source_url Apache-2.0"
  say "  $platform ${platform_digest[$platform]}"
done
say "  both platforms' configs carry the OCI labels version=$version revision=${revision:0:12} source=$source_url licenses=Apache-2.0"

# The arm64 image, pulled by digest from the registry, under qemu: far enough to answer /healthz.
arm64_ref=$image_repo@${platform_digest[linux/arm64]}
"$podman_cmd" pull --quiet --tls-verify=false --platform linux/arm64 "$arm64_ref" >/dev/null
pulled+=("$arm64_ref")
"$podman_cmd" run -d --name "$container" --platform linux/arm64 --pull=never -p 127.0.0.1::8080 \
  --read-only --cap-drop ALL --security-opt no-new-privileges "$arm64_ref" >/dev/null
host_port=$("$podman_cmd" port "$container" 8080/tcp | head -1 | sed 's/.*://')
health=
for _ in $(seq 120); do
  health=$(curl -fsS "http://127.0.0.1:$host_port/healthz" 2>/dev/null) && break
  [ "$("$podman_cmd" inspect --format '{{.State.Running}}' "$container")" = true ] ||
    { "$podman_cmd" logs "$container" >&2; die "the arm64 container exited"; }
  sleep 0.5
done
[ -n "$health" ] || { "$podman_cmd" logs "$container" >&2; die "the arm64 container did not answer /healthz"; }
arch_in=$("$podman_cmd" exec "$container" node -p 'process.arch + " " + process.version')
say "arm64 image under qemu (node reports $arch_in): GET /healthz -> $health"
"$podman_cmd" rm -f -t 0 "$container" >/dev/null

# Verified bundles (a signature, or an attestation, on that digest) in cosign's output: one JSON array (verify) or one JSON object per line (verify-attestation).
count_json() { node -e 'const t = require("node:fs").readFileSync(process.argv[1], "utf8").trim();
  console.log(t.startsWith("[") ? JSON.parse(t).length : t.split("\n").filter(Boolean).length)' "$1"; }
verify() { # what, cosign subcommand and arguments…
  local what=$1
  shift
  if cosign "$@" --key "$work/cosign.pub" --insecure-ignore-tlog=true "${cosign_flags[@]}" >"$work/verify.out" 2>"$work/verify.err"; then
    local checked
    checked=$(grep -m1 -o 'verified against the specified public key' "$work/verify.err" || true)
    [ -n "$checked" ] || { cat "$work/verify.err" >&2; die "cosign $1 $what exited 0 without checking the key"; }
    say "cosign $1 $what: Verified OK ($(count_json "$work/verify.out") signed bundle(s) $checked)"
    return 0
  fi
  return 1
}
verify "image $image_repo@$index_digest" verify "$image_repo@$index_digest" || { cat "$work/verify.err" >&2; die "cosign verify image"; }
verify "image linux/arm64 $arm64_ref" verify "$arm64_ref" || { cat "$work/verify.err" >&2; die "cosign verify arm64 image"; }
verify "chart $registry/redline/charts/redline@$chart_digest" verify "$registry/redline/charts/redline@$chart_digest" ||
  { cat "$work/verify.err" >&2; die "cosign verify chart"; }
verify "--type cyclonedx $image_repo@$index_digest" verify-attestation --type cyclonedx "$image_repo@$index_digest" ||
  { cat "$work/verify.err" >&2; die "cosign verify-attestation"; }
attested=$(head -1 "$work/verify.out" | node -e 'let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => {
  const p = JSON.parse(Buffer.from(JSON.parse(s).payload, "base64").toString()); console.log(`${p.predicateType}, ${p.predicate.components.length} components`); })')
say "  attested predicate: $attested"

# Tampered: the amd64 image with one label changed, pushed next to the release: a new, unsigned digest.
printf 'FROM %s\nLABEL org.opencontainers.image.revision=tampered\n' "$local_image:amd64" >"$work/Tampered.Containerfile"
"$podman_cmd" build --quiet --pull=never -t "$local_image:tampered" -f "$work/Tampered.Containerfile" "$work" >/dev/null
"$podman_cmd" push --quiet --tls-verify=false --digestfile "$work/tampered.digest" "$local_image:tampered" "docker://$image_repo:$version-tampered"
tampered_digest=$(cat "$work/tampered.digest")
if verify "image $image_repo@$tampered_digest" verify "$image_repo@$tampered_digest"; then
  die "cosign verify PASSED for the tampered digest $tampered_digest"
fi
say "cosign verify tampered $image_repo@$tampered_digest: FAILED as expected: $(grep -m1 -i 'error' "$work/verify.err")"
# And a signature made with another key does not pass for the real digest.
(mkdir -p "$work/other" && cd "$work/other" && cosign generate-key-pair --output-key-prefix other >/dev/null 2>&1)
if cosign verify --key "$work/other/other.pub" --insecure-ignore-tlog=true "${cosign_flags[@]}" "$image_repo@$index_digest" >/dev/null 2>"$work/verify.err"; then
  die "cosign verify PASSED with a key that never signed"
fi
say "cosign verify with another public key: FAILED as expected: $(grep -m1 -i 'error' "$work/verify.err")"

# --- 5. the npm package --------------------------------------------------------------------------
node hack/release/npm-check.ts || die "the npm package (hack/release/npm-check.ts)"

say "OK: release $version checked against $registry in $(elapsed)"
