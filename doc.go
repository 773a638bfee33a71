// Package otelsentry connects OpenTelemetry tracing to Sentry.
//
// Services instrumented with OpenTelemetry (otelhttp, otelgin, otelsql,
// messaging spans) join the traces of services that use Sentry's SDKs, and
// their spans reach Sentry as Sentry transactions: named by route, with
// Sentry's ops, statuses, queries and queue data, and with the errors
// recorded on spans linked to them. The processor encodes and sends the
// transactions itself, to the DSN of the sentry-go client, as sentry-go
// would have sent them.
//
// Three parts, each usable alone:
//
//   - NewPropagator reads and writes Sentry's sentry-trace and baggage
//     headers, freezing the caller's Dynamic Sampling Context (DSC).
//   - NewSampler makes one sampling decision per trace that OpenTelemetry and
//     Sentry share, agreeing with the other services of the trace.
//   - NewSpanProcessor turns the spans of a TracerProvider into Sentry
//     transactions: a span with no parent or a remote parent is a
//     transaction, its local descendants are its spans.
//
// Quick start, after sentry.Init with EnableTracing and a TracesSampleRate:
//
//	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(
//		propagation.TraceContext{}, propagation.Baggage{}, otelsentry.NewPropagator(),
//	))
//	tp := otelsentry.NewTracerProvider()
//	otel.SetTracerProvider(tp)
//	defer tp.Shutdown(context.Background()) // sends the last transactions
//
// The package keeps no global state: each propagator, sampler and processor
// holds its own, and several can live in one process.
//
// Specifications followed:
//
//   - Sentry trace propagation: https://develop.sentry.dev/sdk/telemetry/traces/distributed-tracing/
//   - Dynamic Sampling Context: https://develop.sentry.dev/sdk/telemetry/traces/dynamic-sampling-context/
//   - W3C Baggage: https://www.w3.org/TR/baggage/
//   - OpenTelemetry semantic conventions: https://opentelemetry.io/docs/specs/semconv/
package otelsentry
