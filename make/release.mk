# Release: one version from a tag vX.Y.Z, CHANGELOG.md notes, and the local proof of the
# publishing path (.github/workflows/release.yaml does it for real on GHCR).
.PHONY: release-check release-check-npm release-version release-notes release-tools test-release

release-tools: bootstrap ## Install release-check's tools: podman, buildah, skopeo, qemu-user-static, docker-registry (apt), cosign (Debian sid, under .tools/)
	@hack/release/tools.sh

release-check: bootstrap bootstrap-prometheus ## Build linux/amd64+arm64, push image and chart to a registry on 127.0.0.1, sign, attest the SBOM, verify as a user; then release-check-npm
	@hack/release/check.sh

release-check-npm: bootstrap bootstrap-prometheus ## Publish @redline/red-metrics to a local npm registry (Verdaccio), install it back in a scratch app, scrape it with Prometheus 3
	@node hack/release/npm-check.ts

release-version: bootstrap ## Check package.json, its lock and Chart.yaml agree; TAG=vX.Y.Z sets them all to it
	@node scripts/release/version.ts $(if $(TAG),set $(TAG),check)

release-notes: bootstrap ## Print the release notes for the current version (or TAG=vX.Y.Z) from CHANGELOG.md
	@$(STRICT) version=$(or $(TAG),$$(node scripts/release/version.ts)); node scripts/release/notes.ts "$$version"

test-release: bootstrap ## make release-check for real, asserted by a test (registry on 127.0.0.1, amd64 + arm64, cosign)
	@# As root, the tools first: the cosign-format spec needs cosign and a registry as much as release-check does.
	@$(STRICT) if [ "$$(id -u)" = 0 ]; then hack/release/tools.sh; fi
	@mocha $(RELEASE_SPECS)
