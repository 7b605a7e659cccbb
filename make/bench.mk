# Benchmarks (bench/): not part of `make test`. Bounded to about 10 minutes; BENCH_QUICK=1
# for a smoke run. See docs/benchmarks.md for the method and the latest numbers.
.PHONY: bench bench-profile bench-micro audit

bench: bootstrap ## Benchmarks: middleware overhead, /metrics render, scrape stall, cardinality attack (BENCH_QUICK=1 for a smoke run)
	@node bench/main.ts

bench-profile: bootstrap ## CPU profile of Koa + redline under load (--cpu-prof); prints the hottest functions
	@node bench/profile.ts

bench-micro: bootstrap ## Nanoseconds per call of each piece of the metrics hot path (no HTTP)
	@node bench/micro.ts

audit: bootstrap ## npm audit of the production dependencies
	@npm audit --omit=dev
