package main

import (
	"context"
	"errors"
	"log"
	"os"
	"time"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel"

	"github.com/otelsentry/otelsentry"
)

func main() {
	if err := sentry.Init(sentry.ClientOptions{
		Dsn:              os.Getenv("SENTRY_DSN"),
		EnableTracing:    true,
		TracesSampleRate: 1.0,
	}); err != nil {
		log.Fatal(err)
	}
	defer sentry.Flush(2 * time.Second) // error events captured with sentry-go

	otel.SetTextMapPropagator(otelsentry.NewPropagator())
	tp := otelsentry.NewTracerProvider()
	otel.SetTracerProvider(tp)
	defer tp.Shutdown(context.Background()) // the last transactions: do not leave it out

	_, span := otel.Tracer("shortjob").Start(context.Background(), "nightly cleanup")
	span.RecordError(errors.New("3 rows could not be deleted"))
	span.End()
}
