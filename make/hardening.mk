# Long-running hardening specs (test/memory/): not in `make test`, run by .ci/run after it.
.PHONY: hardening

hardening: bootstrap ## Hostile clients against the service in a 256 MiB memory cgroup (needs root), API p99 under a /metrics flood
	@mocha --timeout 120000 'test/memory/**/*.spec.ts'
