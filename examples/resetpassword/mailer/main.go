package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/mail"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/getsentry/sentry-go"
	amqp "github.com/rabbitmq/amqp091-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelsentry/otelsentry"
	"github.com/otelsentry/otelsentry/examples/amqpcarrier"
)

const serviceName = "mailer"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, configFromEnv()); err != nil {
		log.Fatal(err)
	}
}

type config struct {
	dsn, amqpURL, queue, release, environment string
}

func configFromEnv() config {
	return config{
		dsn:         os.Getenv("SENTRY_DSN"),
		amqpURL:     env("OTELSENTRY_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
		queue:       env("RESET_QUEUE", "password-reset"),
		release:     env("SENTRY_RELEASE", "mailer@1.0.0"),
		environment: env("SENTRY_ENVIRONMENT", "demo"),
	}
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// mailer consumes reset tasks.
type mailer struct {
	queue  string
	hub    *sentry.Hub
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
	// sent is called with each address mailed, for tests.
	sent func(string)
}

func newMailer(cfg config) (*mailer, error) {
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
	return &mailer{queue: cfg.queue, hub: hub, tp: tp, tracer: tp.Tracer(serviceName), prop: prop}, nil
}

func (m *mailer) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.tp.Shutdown(ctx); err != nil {
		log.Printf("mailer: flushing telemetry: %v", err)
	}
	m.hub.Client().Flush(2 * time.Second)
}

func run(ctx context.Context, cfg config) error {
	m, err := newMailer(cfg)
	if err != nil {
		return err
	}
	defer m.shutdown()
	return m.consume(ctx, cfg.amqpURL)
}

// consume handles deliveries until ctx ends, connecting again when the
// broker goes away.
func (m *mailer) consume(ctx context.Context, url string) error {
	for ctx.Err() == nil {
		err := m.consumeOnce(ctx, url)
		if ctx.Err() != nil {
			break
		}
		log.Printf("mailer: %v; connecting again", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	return nil
}

func (m *mailer) consumeOnce(ctx context.Context, url string) error {
	conn, err := amqp.DialConfig(url, amqp.Config{Dial: amqp.DefaultDial(2 * time.Second)})
	if err != nil {
		return err
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	if _, err := ch.QueueDeclare(m.queue, true, false, false, false, nil); err != nil {
		return err
	}
	if err := ch.Qos(1, 0, false); err != nil {
		return err
	}
	deliveries, err := ch.ConsumeWithContext(ctx, m.queue, serviceName, false, false, false, false, nil)
	if err != nil {
		return err
	}
	log.Printf("mailer: consuming %s", m.queue)
	for d := range deliveries {
		m.handle(ctx, d)
	}
	return errors.New("the broker closed the channel")
}

// handle processes one delivery in a queue.process transaction that
// continues the publisher's trace, then acknowledges it, or rejects it
// alone when it is malformed.
func (m *mailer) handle(ctx context.Context, d amqp.Delivery) {
	ctx, span := amqpcarrier.StartConsumerSpan(ctx, m.tracer, m.prop, d, m.queue)
	defer span.End()
	err := m.process(ctx, d)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		_ = d.Nack(false, false) // not requeued: it would fail again
		log.Printf("mailer: rejected message %s: %v", d.MessageId, err)
		return
	}
	_ = d.Ack(false)
}

// errMalformed reports a message the mailer cannot read.
var errMalformed = errors.New("malformed reset task")

func (m *mailer) process(ctx context.Context, d amqp.Delivery) error {
	var task struct {
		Email string `json:"email"`
	}
	if err := json.Unmarshal(d.Body, &task); err != nil {
		return fmt.Errorf("%w: %v", errMalformed, err)
	}
	if _, err := mail.ParseAddress(task.Email); err != nil {
		return fmt.Errorf("%w: %v", errMalformed, err)
	}
	_, span := m.tracer.Start(ctx, "send reset mail", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("sentry.op", "mail.send"), attribute.String("server.address", "smtp.example.com")))
	defer span.End()
	time.Sleep(5 * time.Millisecond) // the SMTP exchange
	log.Printf("mailer: reset link sent to %s", task.Email)
	if m.sent != nil {
		m.sent(task.Email)
	}
	return nil
}
