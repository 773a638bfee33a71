package otelsentry

import (
	"context"
	"testing"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// w3cTraceparent carries the golden ids in W3C form, for OTel's propagators.
const w3cTraceparent = "00-" + goldenTraceHex + "-" + goldenSpanHex + "-01"

// benchPropagators are the propagators compared on the same request: this
// package's and OTel's W3C TraceContext+Baggage composite. The benchmarks
// module compares Extract and Inject of a continued trace, with
// sentry-go/otel too; the head DSC of a new trace is measured here.
func benchPropagators(b *testing.B) []struct {
	name    string
	prop    propagation.TextMapPropagator
	request propagation.MapCarrier
} {
	hub := newTestHub(b, sentry.ClientOptions{Release: "backend@1.0.0", Environment: "production", TracesSampleRate: 0.25})
	return []struct {
		name    string
		prop    propagation.TextMapPropagator
		request propagation.MapCarrier
	}{
		{"otelsentry", NewPropagator(WithHub(hub)), propagation.MapCarrier{sentryTraceHeader: frontendSentryTrace, baggageHeader: frontendBaggage}},
		{"otel-w3c", propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}), propagation.MapCarrier{"traceparent": w3cTraceparent, baggageHeader: frontendBaggage}},
	}
}

// BenchmarkInjectHead injects the head DSC of a trace that starts here.
func BenchmarkInjectHead(b *testing.B) {
	tp := sdktrace.NewTracerProvider()
	defer func() { _ = tp.Shutdown(context.Background()) }()
	for _, bp := range benchPropagators(b) {
		b.Run(bp.name, func(b *testing.B) {
			ctx, span := tp.Tracer("bench").Start(context.Background(), "root")
			defer span.End()
			b.ReportAllocs()
			for b.Loop() {
				bp.prop.Inject(ctx, propagation.MapCarrier{})
			}
		})
	}
}
