// Package wire measures what users pay per request, every path delivering
// over real HTTP: a 9-span request offered at a paced rate (BENCH_RATE,
// default 1000/s) through a TracerProvider, with a loopback Sentry and OTLP
// sink in a separate process (the test binary run again), so that receiving
// is not charged to the paths. Each Request_ benchmark reports the time on
// the request goroutine (path-ns/req, path-p50-ns), the process CPU per
// request including all delivery work (cpu-ns/req), the fraction of spans
// delivered (delivered/req) and the payload bytes (payload-B/req).
//
// The paths: Bare (no processor), Noop (a processor that does nothing),
// Floor (one ready-made envelope of otelsentry's size posted per
// transaction, nothing encoded: the protocol's own cost), SentryOtel0462
// (sentry-go/otel v0.46.2's processor), OTLP (sentry-go/otel/otlp v0.49.0's
// exporter behind the SDK's batch processor), Otelsentry and
// OtelsentryExact (a client whose transactions go through sentry-go).
//
// Run ./run.sh from benchmarks/ for the table of medians and ratios.
package wire
