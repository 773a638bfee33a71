package otelsentry

import (
	"context"
	"testing"

	"github.com/getsentry/sentry-go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// BenchmarkRequest records the 9-span reset-password request on the request
// goroutine, with the bare SDK and with the span processor. The processor's
// background work is left out here; the benchmarks module measures it.
func BenchmarkRequest(b *testing.B) {
	hub := newTestHub(b, sentry.ClientOptions{TracesSampleRate: 1})
	variants := []struct {
		name string
		opts []sdktrace.TracerProviderOption
	}{
		{"bare-sdk", nil},
		{"otelsentry", []sdktrace.TracerProviderOption{sdktrace.WithSpanProcessor(NewSpanProcessor(WithHub(hub), WithQueueSize(1<<16)))}},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			tp := sdktrace.NewTracerProvider(v.opts...)
			defer func() { _ = tp.Shutdown(context.Background()) }()
			tracer := tp.Tracer("bench")
			b.ReportAllocs()
			for b.Loop() {
				_, s := resetPassword(context.Background(), tracer)
				s.End()
			}
		})
	}
}
