package otelsentry

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// TestNewTracerProvider: one set of options reaches both the sampler and
// the processor, and sdktrace options reach the provider.
func TestNewTracerProvider(t *testing.T) {
	srv := newSentryServer(t)
	hub := srv.Hub(sentry.ClientOptions{EnableTracing: true, TracesSampleRate: 1})
	tp := NewTracerProvider(WithHub(hub), WithSampleRate(0), WithUnsampledErrors(),
		WithTracerProviderOptions(sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "jobs")))))
	_, span := tp.Tracer("t").Start(context.Background(), "nightly")
	if span.SpanContext().IsSampled() || !span.IsRecording() {
		t.Fatalf("sampled %v, recording %v: WithSampleRate(0) and WithUnsampledErrors did not reach the sampler",
			span.SpanContext().IsSampled(), span.IsRecording())
	}
	span.RecordError(errors.New("boom"))
	span.End()
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	hub.Client().Flush(5 * time.Second)
	if n := len(srv.waitItems("event", 1)); n != 1 {
		t.Errorf("%d error events from an unsampled span, want 1: WithUnsampledErrors did not reach the processor", n)
	}

	_, s := NewTracerProvider(WithHub(hub), WithSampleRate(1),
		WithTracerProviderOptions(sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "jobs"))))).
		Tracer("t").Start(context.Background(), "x")
	if ro, ok := s.(sdktrace.ReadOnlySpan); !ok || ro.Resource().String() != "service.name=jobs" {
		t.Errorf("the resource option did not reach the provider")
	}
}

// TestUnsampledErrorsMismatchReported: a sampler given WithUnsampledErrors
// and a processor not given it are reported once.
func TestUnsampledErrorsMismatchReported(t *testing.T) {
	errs := newRecordingErrorHandler(t)
	hub := newTestHub(t, sentry.ClientOptions{TracesSampleRate: 0})
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(NewSampler(WithHub(hub), WithUnsampledErrors())),
		sdktrace.WithSpanProcessor(NewSpanProcessor(WithHub(hub))),
	)
	defer func() { _ = tp.Shutdown(context.Background()) }()
	for range 5 {
		_, s := tp.Tracer("t").Start(context.Background(), "x")
		s.End()
	}
	n := 0
	for _, err := range errs.errors() {
		if errors.Is(err, errUnsampledMismatch) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("reported %d times, want once", n)
	}
}
