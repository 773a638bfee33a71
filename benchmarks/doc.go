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
//   - Span processors (BenchmarkProcessor): a 9-span request (a server span,
//     5 PostgreSQL queries, 2 outgoing HTTP calls and a RabbitMQ publish) run
//     through a bare TracerProvider with no processor, through one with a
//     processor that does nothing, through otelsentry's NewSpanProcessor
//     with a hub that has no client and with one that has, through sentryotel.NewSentrySpanProcessor v0.46.2, and
//     through the OTLP path Sentry recommends now: a batch span processor
//     around an otlptrace exporter whose client protobuf-encodes each export
//     request and drops it. Sentry transports JSON-encode each event as
//     sentry-go's HTTP transport does, and drop it. Besides the time on the
//     request goroutine (ns/op), each reports that goroutine's own CPU time
//     (req-cpu-ns/op) and the process CPU time per request including the
//     background workers and a final flush (cpu-ns/op).
//   - Event encoding (BenchmarkEncode): sentry-go's json.Marshal of the
//     transaction each Sentry processor made of that request, and of
//     otelsentry's with the data of its spans and trace context removed,
//     the floor for any processor that hands sentry-go these 9 spans.
//   - Samplers (BenchmarkShouldSample): otelsentry's NewSampler against
//     sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.25)), for a new trace,
//     a remote parent from the frontend and a local parent.
//
// The package has no exported API: everything is in its _test.go files.
// Run ./run.sh to run the benchmarks and get RESULTS.md, a Markdown table of
// the medians made by ./cmd/benchtable.
package benchmarks
