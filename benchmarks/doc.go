// Package benchmarks compares otelsentry, side by side in one go test -bench
// run, with the code it replaces or competes with:
//
//   - Propagators (BenchmarkExtract, BenchmarkInject): otelsentry's
//     NewPropagator against OpenTelemetry's own W3C composite
//     (propagation.TraceContext and propagation.Baggage) and against
//     sentryotel.NewSentryPropagator of github.com/getsentry/sentry-go/otel
//     v0.46.2, the last release that has one. The incoming request comes from
//     a Sentry frontend: sentry-trace (or traceparent for the W3C composite)
//     and a baggage header with a 9-member Sentry DSC and 2 members of other
//     vendors.
//   - Span processors: see the wire package beside this one, where every
//     path delivers over HTTP to a receiver in another process at a paced
//     rate, as users run them.
//   - Samplers (BenchmarkShouldSample): otelsentry's NewSampler against
//     sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.25)), for a new trace,
//     a remote parent from the frontend and a local parent.
//
// The package has no exported API: everything is in its _test.go files.
// Run ./run.sh to run the benchmarks and get RESULTS.md, a Markdown table of
// the medians made by ./cmd/benchtable.
package benchmarks
