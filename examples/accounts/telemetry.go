package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/getsentry/sentry-go"
	"github.com/otelsentry/otelsentry"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// instrumentationName names the tracer of the spans the demo starts itself
// (the queue spans).
const instrumentationName = "github.com/otelsentry/otelsentry/examples/accounts"

// Identity of the accounts service in Sentry and in its OTel resource.
const (
	serviceName    = "accounts"
	serviceVersion = "1.8.0"
)

// telemetry is the tracing set-up of the accounts service: a sentry-go
// client, and OpenTelemetry connected to it by otelsentry.
type telemetry struct {
	hub       *sentry.Hub
	tp        *sdktrace.TracerProvider
	prop      propagation.TextMapPropagator
	processor *otelsentry.SpanProcessor
}

// newTelemetry sets up tracing that reports to the Sentry project of dsn.
func newTelemetry(dsn string) (*telemetry, error) {
	// A service would call sentry.Init and pass sentry.CurrentHub(). The
	// demo binds its client to a hub of its own, so that its test can run
	// it again in the same process.
	client, err := sentry.NewClient(sentry.ClientOptions{
		Dsn:           dsn,
		Release:       serviceName + "@" + serviceVersion,
		Environment:   "production",
		EnableTracing: true,
		// The rate of traces that start in this service. The browser's
		// decision (sentry-trace "-1") wins for the traces it starts.
		TracesSampleRate: 1.0,
	})
	if err != nil {
		return nil, fmt.Errorf("sentry: %w", err)
	}
	hub := sentry.NewHub(client, sentry.NewScope())

	processor := otelsentry.NewSpanProcessor(otelsentry.WithHub(hub))
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(otelsentry.NewSampler(otelsentry.WithHub(hub))),
		sdktrace.WithSpanProcessor(processor), // as it is: it groups spans itself
		sdktrace.WithResource(resource.NewWithAttributes(semconv.SchemaURL,
			semconv.ServiceName(serviceName), semconv.ServiceVersion(serviceVersion))),
	)
	// Sentry's propagator last, so that sentry-trace wins over traceparent.
	prop := propagation.NewCompositeTextMapPropagator(
		propagation.TraceContext{},
		propagation.Baggage{},
		otelsentry.NewPropagator(otelsentry.WithHub(hub)),
	)
	return &telemetry{hub: hub, tp: tp, prop: prop, processor: processor}, nil
}

// tracer returns the tracer of the spans the demo starts itself.
func (t *telemetry) tracer() trace.Tracer {
	return t.tp.Tracer(instrumentationName)
}

// flush sends every finished transaction to Sentry and waits until it is
// delivered, or ctx ends.
func (t *telemetry) flush(ctx context.Context) error {
	// The processor hands its transactions to sentry-go and waits for
	// their delivery...
	if err := t.processor.ForceFlush(ctx); err != nil {
		return fmt.Errorf("span processor flush: %w", err)
	}
	// ...and sentry-go's own flush covers anything else captured with the
	// client, such as errors.
	if !t.hub.Client().FlushWithContext(ctx) {
		return errors.New("sentry-go did not flush before the deadline")
	}
	return nil
}

// shutdown flushes and stops tracing; spans that end afterwards are dropped.
func (t *telemetry) shutdown(ctx context.Context) error {
	err := t.tp.Shutdown(ctx)
	t.hub.Client().Close()
	return err
}
