# Benchmarks (bench/): not part of `make test`. Bounded to about 25 minutes; BENCH_QUICK=1
# for a smoke run. See docs/benchmarks.md for the method and the latest numbers.
.PHONY: bench bench-plots bench-profile bench-micro audit

bench: bootstrap ## Benchmarks: middleware overhead, /metrics render, scrape stall and loop blocks, Prometheus scrape duration, cardinality attack (BENCH_QUICK=1 for a smoke run)
	@node bench/main.ts

# The plots docs/benchmarks.md shows are drawn from the committed run in docs/bench/results.json.
BENCH_RESULTS_DIR ?= docs/bench
bench-plots: bootstrap ## Redraw the SVG plots of a bench run (BENCH_RESULTS_DIR, default docs/bench) from its results.json
	@node bench/plots.ts $(BENCH_RESULTS_DIR)/results.json $(BENCH_RESULTS_DIR)

bench-profile: bootstrap ## CPU profile of Koa + redline under load (--cpu-prof); prints the hottest functions
	@node bench/profile.ts

bench-micro: bootstrap ## Nanoseconds per call of each piece of the metrics hot path (no HTTP)
	@node bench/micro.ts

audit: bootstrap ## npm audit of the production dependencies
	@npm audit --omit=dev
