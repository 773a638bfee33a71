package wire

import (
	"context"
	"testing"

	"github.com/getsentry/sentry-go"
	sentryotel "github.com/getsentry/sentry-go/otel"
	sentryotlp "github.com/getsentry/sentry-go/otel/otlp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Baseline: the OTel SDK with no processor at all.
func BenchmarkRequest_Bare(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	runRequests(b, context.Background(), tp, nil)
}

// noopProcessor does nothing; registering it makes the SDK snapshot every
// span for OnEnd, the floor any processor pays.
type noopProcessor struct{}

func (noopProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (noopProcessor) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (noopProcessor) Shutdown(context.Context) error                  { return nil }
func (noopProcessor) ForceFlush(context.Context) error                { return nil }

func BenchmarkRequest_Noop(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithSpanProcessor(noopProcessor{}))
	runRequests(b, context.Background(), tp, nil)
}

// The official, now removed, sentry-go/otel span processor (v0.46.2, the last
// release that had it), with sentry-go's default transport.
func BenchmarkRequest_SentryOtel0462(b *testing.B) {
	d := newDest(b)
	c := d.newSentryClient(b)
	hub := sentry.NewHub(c, sentry.NewScope())
	sentry.CurrentHub().BindClient(c) // its ForceFlush flushes the current hub
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithSpanProcessor(sentryotel.NewSentrySpanProcessor()))
	runRequests(b, sentry.SetHubOnContext(context.Background(), hub), tp, d)
}

// What Sentry recommends now: sentry-go/otel/otlp's exporter (OTLP/HTTP
// protobuf to the DSN's /api/<project>/integration/otlp/v1/traces/) under the
// SDK's default batch span processor.
func BenchmarkRequest_OTLP(b *testing.B) {
	d := newDest(b)
	exp, err := sentryotlp.NewTraceExporter(context.Background(), d.dsn)
	if err != nil {
		b.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithBatcher(exp))
	runRequests(b, context.Background(), tp, d)
}

func benchExtract(b *testing.B, p propagation.TextMapPropagator) {
	carrier := incomingCarrier()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = p.Extract(ctx, carrier)
	}
}

func benchInject(b *testing.B, p propagation.TextMapPropagator) {
	ctx := p.Extract(context.Background(), incomingCarrier())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := propagation.MapCarrier{}
		p.Inject(ctx, c)
	}
}

var w3c = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

func BenchmarkExtract_W3C(b *testing.B)            { benchExtract(b, w3c) }
func BenchmarkInject_W3C(b *testing.B)             { benchInject(b, w3c) }
func BenchmarkExtract_SentryOtel0462(b *testing.B) { benchExtract(b, sentryotel.NewSentryPropagator()) }
func BenchmarkInject_SentryOtel0462(b *testing.B)  { benchInject(b, sentryotel.NewSentryPropagator()) }
