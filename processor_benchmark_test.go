package otelsentry

import (
	"context"
	"testing"

	"github.com/getsentry/sentry-go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// BenchmarkRequest records the 9-span reset-password request on the request
// goroutine: with the bare SDK, with a processor that does nothing (the
// SDK's own cost of having a processor), with the span processor and a hub
// without a client (its OnStart and OnEnd alone), and with the span
// processor whose worker converts and captures each transaction with a
// client whose transport drops it. The benchmarks module measures the JSON
// encoding too.
func BenchmarkRequest(b *testing.B) {
	hub := newTestHub(b, sentry.ClientOptions{TracesSampleRate: 1})
	variants := []struct {
		name      string
		processor func() sdktrace.SpanProcessor
	}{
		{"bare-sdk", nil},
		{"noop-processor", func() sdktrace.SpanProcessor { return noopProcessor{} }},
		// A hub without a client: the worker drops each transaction at
		// once, which leaves OnStart and OnEnd as the processor's cost.
		{"otelsentry-idle-worker", func() sdktrace.SpanProcessor {
			return NewSpanProcessor(WithHub(sentry.NewHub(nil, sentry.NewScope())), WithQueueSize(1<<20))
		}},
		{"otelsentry", func() sdktrace.SpanProcessor { return NewSpanProcessor(WithHub(hub), WithQueueSize(1<<20)) }},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			var opts []sdktrace.TracerProviderOption
			if v.processor != nil {
				opts = append(opts, sdktrace.WithSpanProcessor(v.processor()))
			}
			tp := sdktrace.NewTracerProvider(opts...)
			defer func() { _ = tp.Shutdown(context.Background()) }()
			tracer := tp.Tracer("bench")
			b.ReportAllocs()
			for b.Loop() {
				_, s := resetPassword(context.Background(), tracer)
				s.End()
			}
			_ = tp.ForceFlush(context.Background())
		})
	}
}

// noopProcessor is a span processor that does nothing.
type noopProcessor struct{}

func (noopProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (noopProcessor) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (noopProcessor) Shutdown(context.Context) error                  { return nil }
func (noopProcessor) ForceFlush(context.Context) error                { return nil }
