package wire

import (
	"context"
	"testing"

	"github.com/getsentry/sentry-go"
	"github.com/otelsentry/otelsentry"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// BenchmarkRequest_Otelsentry is otelsentry as users run it: its processor
// with the hub's client, whose DSN is the sink, encoding and sending each
// transaction itself.
func BenchmarkRequest_Otelsentry(b *testing.B) {
	d := newDest(b)
	hub := sentry.NewHub(d.newSentryClient(b), sentry.NewScope())
	p := otelsentry.NewSpanProcessor(otelsentry.WithHub(hub))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithSpanProcessor(p))
	runRequests(b, context.Background(), tp, d)
}

// BenchmarkRequest_OtelsentryExact is otelsentry's exact path: a client with
// a BeforeSendTransaction, whose transactions only sentry-go's pipeline can
// finish, so they go through sentry-go's default transport.
func BenchmarkRequest_OtelsentryExact(b *testing.B) {
	d := newDest(b)
	c, err := sentry.NewClient(sentry.ClientOptions{
		Dsn:                    d.dsn,
		EnableTracing:          true,
		TracesSampleRate:       1.0,
		TraceIgnoreStatusCodes: [][]int{},
		BeforeSendTransaction:  func(ev *sentry.Event, _ *sentry.EventHint) *sentry.Event { return ev },
	})
	if err != nil {
		b.Fatal(err)
	}
	d.flush = append(d.flush, c.Flush)
	d.close = append(d.close, c.Close)
	hub := sentry.NewHub(c, sentry.NewScope())
	p := otelsentry.NewSpanProcessor(otelsentry.WithHub(hub))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithSpanProcessor(p))
	runRequests(b, context.Background(), tp, d)
}
