package main

import (
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelsentry/otelsentry"
)

const serviceName = "api"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, configFromEnv()); err != nil {
		log.Fatal(err)
	}
}

// config is the API's settings.
type config struct {
	dsn, addr, webOrigin, amqpURL, queue, release, environment string
}

func configFromEnv() config {
	return config{
		dsn:         os.Getenv("SENTRY_DSN"),
		addr:        env("API_ADDR", "127.0.0.1:8081"),
		webOrigin:   env("WEB_ORIGIN", "http://127.0.0.1:8080"),
		amqpURL:     env("OTELSENTRY_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
		queue:       env("RESET_QUEUE", "password-reset"),
		release:     env("SENTRY_RELEASE", "api@1.0.0"),
		environment: env("SENTRY_ENVIRONMENT", "demo"),
	}
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// telemetry is the service's Sentry client, TracerProvider and propagator.
type telemetry struct {
	hub  *sentry.Hub
	tp   *sdktrace.TracerProvider
	prop propagation.TextMapPropagator
}

func newTelemetry(cfg config) (*telemetry, error) {
	client, err := sentry.NewClient(sentry.ClientOptions{
		Dsn:              cfg.dsn,
		Release:          cfg.release,
		Environment:      cfg.environment,
		ServerName:       serviceName,
		EnableTracing:    true,
		TracesSampleRate: 1.0,
	})
	if err != nil {
		return nil, err
	}
	hub := sentry.NewHub(client, sentry.NewScope())
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(otelsentry.NewSampler(otelsentry.WithHub(hub))),
		sdktrace.WithSpanProcessor(otelsentry.NewSpanProcessor(otelsentry.WithHub(hub))),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", serviceName))),
	)
	prop := propagation.NewCompositeTextMapPropagator(
		propagation.TraceContext{}, propagation.Baggage{}, otelsentry.NewPropagator(otelsentry.WithHub(hub)),
	)
	return &telemetry{hub: hub, tp: tp, prop: prop}, nil
}

// shutdown delivers what is left and stops the processor's goroutines.
func (t *telemetry) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := t.tp.Shutdown(ctx)
	t.hub.Client().Flush(2 * time.Second) // error events go through sentry-go
	return err
}

// run serves until ctx ends.
func run(ctx context.Context, cfg config) error {
	tel, err := newTelemetry(cfg)
	if err != nil {
		return err
	}
	defer func() {
		if err := tel.shutdown(); err != nil {
			log.Printf("api: flushing telemetry: %v", err)
		}
	}()
	pub := newPublisher(cfg.amqpURL, cfg.queue, tel)
	defer pub.close()

	gin.SetMode(gin.ReleaseMode)
	l, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: newRouter(cfg.webOrigin, tel, pub), ReadHeaderTimeout: 5 * time.Second}
	log.Printf("api: listening on http://%s, CORS for %s", l.Addr(), cfg.webOrigin)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
