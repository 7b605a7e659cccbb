// Memory per label set in client_golang, the reference the memory scenario compares with:
// the same RED metrics, label sets and observations as bench/scenarios/memory.ts (the same
// linear congruential generator and log-normal spread), live heap after full GCs.
// Run by bench/scenarios/memory.ts (make bench); prints one JSON line.
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	methods  = []string{"GET", "POST", "PUT", "DELETE", "PATCH"}
	statuses = []int{200, 201, 204, 400, 404, 409, 422, 500, 502, 503}
	buckets  = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}
)

type labelSet struct {
	method, route, status string
	serverError           bool
}

// The first n label sets in the order bench/fixtures/series.ts makes them.
func labelSets(n int) []labelSet {
	sets := make([]labelSet, 0, n)
	for route := 0; len(sets) < n; route++ {
		for _, method := range methods {
			for _, status := range statuses {
				if len(sets) == n {
					return sets
				}
				sets = append(sets, labelSet{method, fmt.Sprintf("/bench/%d/:id", route), strconv.Itoa(status), status >= 500})
			}
		}
	}
	return sets
}

func liveHeap() uint64 {
	var stats runtime.MemStats
	for i := 0; i < 3; i++ {
		runtime.GC()
	}
	runtime.ReadMemStats(&stats)
	return stats.HeapAlloc
}

type red struct {
	requests *prometheus.CounterVec
	errors   *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func fill(native bool, sets []labelSet, observations int) (*red, float64) {
	before := liveHeap()
	registry := prometheus.NewRegistry()
	opts := prometheus.HistogramOpts{Name: "http_request_duration_seconds", Help: "Time to serve a request.", Buckets: buckets}
	if native {
		// redline's defaults: factor 1.1 (schema 3), at most 160 buckets.
		opts.NativeHistogramBucketFactor = 1.1
		opts.NativeHistogramMaxBucketNumber = 160
	}
	m := &red{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_requests_total", Help: "Requests."}, []string{"method", "route", "status_code"}),
		errors:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_request_errors_total", Help: "Errors."}, []string{"method", "route", "status_code", "error_type"}),
		duration: prometheus.NewHistogramVec(opts, []string{"method", "route", "status_code"}),
	}
	registry.MustRegister(m.requests, m.errors, m.duration)
	seed := uint64(1)
	sigma := math.Log(10) / 2.326
	for _, s := range sets {
		requests := m.requests.WithLabelValues(s.method, s.route, s.status)
		duration := m.duration.WithLabelValues(s.method, s.route, s.status)
		for i := 0; i < observations; i++ {
			seed = seed * 48271 % 2147483647
			u1 := float64(seed) / 2147483647
			seed = seed * 48271 % 2147483647
			u2 := float64(seed) / 2147483647
			normal := math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
			requests.Inc()
			duration.Observe(0.02 * math.Exp(sigma*normal))
			if s.serverError {
				m.errors.WithLabelValues(s.method, s.route, s.status, "server_error").Inc()
			}
		}
	}
	after := liveHeap()
	runtime.KeepAlive(registry)
	return m, float64(after-before) / float64(len(sets))
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: memory <label sets> <observations per set>")
		os.Exit(2)
	}
	labelSetCount, err1 := strconv.Atoi(os.Args[1])
	observations, err2 := strconv.Atoi(os.Args[2])
	if err1 != nil || err2 != nil || labelSetCount < 1 || observations < 1 {
		fmt.Fprintf(os.Stderr, "memory: label sets and observations must be positive integers (got %q, %q)\n", os.Args[1], os.Args[2])
		os.Exit(2)
	}
	sets := labelSets(labelSetCount)
	classic, classicBytes := fill(false, sets, observations)
	native, nativeBytes := fill(true, sets, observations)
	runtime.KeepAlive(classic)
	runtime.KeepAlive(native)
	_ = json.NewEncoder(os.Stdout).Encode(map[string]any{
		"labelSets":          len(sets),
		"observationsPerSet": observations,
		"classicBytesPerSet": classicBytes,
		"nativeBytesPerSet":  nativeBytes,
		"goVersion":          runtime.Version(),
	})
}
