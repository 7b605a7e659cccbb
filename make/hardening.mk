# The memory-cgroup half of the hardening tier (test/memory/, root only): make test-hardening runs it.
.PHONY: hardening

hardening: bootstrap ## Hostile clients against the service in a 256 MiB memory cgroup (needs root), API p99 under a /metrics flood
	@mocha --timeout 120000 'test/memory/**/*.spec.ts'
