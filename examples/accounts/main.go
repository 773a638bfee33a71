package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	amqp "github.com/rabbitmq/amqp091-go"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/otelsentry/otelsentry/examples/internal/fakesentry"
)

// Defaults of the demo.
const (
	defaultAMQPURL = "amqp://guest:guest@127.0.0.1:5672/"
	defaultQueue   = "password-reset"
	demoEmail      = "ada@example.com"
	demoTimeout    = time.Minute
)

// config is what a run of the demo may change.
type config struct {
	amqpURL string // RabbitMQ broker
	queue   string // name of the queue the demo declares
}

func main() {
	os.Exit(demoMain())
}

// demoMain runs the demo, prints its report and verdict, and returns the
// exit status.
func demoMain() int {
	gin.SetMode(gin.ReleaseMode) // no route listing in the report
	cfg := config{amqpURL: os.Getenv("OTELSENTRY_AMQP_URL"), queue: defaultQueue}
	if cfg.amqpURL == "" {
		cfg.amqpURL = defaultAMQPURL
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, demoTimeout)
	defer cancel()

	out, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "accounts: %v\n", err)
		return 1
	}
	out.report(os.Stdout)
	line, ok := out.verdict()
	fmt.Println(line)
	if !ok {
		return 1
	}
	return 0
}

// run starts everything, has the browser reset its user's password, stops
// everything, and returns what the services and Sentry received.
func run(ctx context.Context, cfg config) (_ *outcome, err error) {
	// Cleanups get a context of their own, so that they run even when
	// ctx has ended.
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var stack cleanups
	defer func() { err = errors.Join(err, stack.run()) }() // before cancel

	// Sentry, and the tracing that reports to it.
	sentrySrv, err := fakesentry.Start()
	if err != nil {
		return nil, err
	}
	stack.push(sentrySrv.Close)
	tel, err := newTelemetry(sentrySrv.DSN())
	if err != nil {
		return nil, err
	}
	stack.push(func() error { return tel.shutdown(stopCtx) })

	// The accounts database.
	dir, err := os.MkdirTemp("", "accounts-")
	if err != nil {
		return nil, err
	}
	stack.push(func() error { return os.RemoveAll(dir) })
	st, err := openStore(ctx, filepath.Join(dir, "accounts.db"), tel.tp)
	if err != nil {
		return nil, err
	}
	stack.push(st.close)

	// The services the accounts service calls.
	risk := newDownstream(http.StatusOK, map[string]any{"score": 0.07})
	mailer := newDownstream(http.StatusAccepted, map[string]any{"status": "queued"})
	riskSrv, err := serveLoopback(risk)
	if err != nil {
		return nil, err
	}
	stack.push(func() error { return riskSrv.close(stopCtx) })
	mailerSrv, err := serveLoopback(mailer)
	if err != nil {
		return nil, err
	}
	stack.push(func() error { return mailerSrv.close(stopCtx) })

	// RabbitMQ: the publisher and the worker.
	conn, err := amqp.Dial(cfg.amqpURL)
	if err != nil {
		return nil, fmt.Errorf("connect to RabbitMQ at %s (start one with scripts/rabbitmq.sh start): %w", redactURL(cfg.amqpURL), err)
	}
	stack.push(conn.Close)
	// RabbitMQ advises a connection for publishing and another for
	// consuming; the demo's queue is exclusive to one connection, so
	// both share it.
	pub, err := newPublisher(conn, cfg.queue, tel.tracer(), tel.prop)
	if err != nil {
		return nil, err
	}
	stack.push(pub.close)
	if err := declareQueue(pub.ch, cfg.queue); err != nil {
		return nil, fmt.Errorf("declare queue %s: %w", cfg.queue, err)
	}
	handled := make(chan processed, 1)
	wk, err := newWorker(conn, cfg.queue, tel.tracer(), tel.prop, st, func(p processed) {
		select {
		case handled <- p:
		default: // only the first message is awaited
		}
	})
	if err != nil {
		return nil, err
	}
	stack.push(wk.close)
	workerCtx, cancelWorker := context.WithCancel(ctx)
	workerDone := make(chan error, 1)
	go func() { workerDone <- wk.run(workerCtx) }()
	stopWorker := sync.OnceValue(func() error { cancelWorker(); return <-workerDone })
	stack.push(stopWorker)

	// The accounts service.
	acc := &accounts{
		store: st,
		client: &http.Client{
			Transport: otelhttp.NewTransport(http.DefaultTransport,
				otelhttp.WithTracerProvider(tel.tp), otelhttp.WithPropagators(tel.prop)),
			Timeout: 10 * time.Second,
		},
		riskURL:   riskSrv.URL,
		mailerURL: mailerSrv.URL,
		events:    pub,
	}
	accSrv, err := serveLoopback(acc.router(tel))
	if err != nil {
		return nil, err
	}
	stopAccounts := sync.OnceValue(func() error { return accSrv.close(stopCtx) })
	stack.push(stopAccounts)

	// The user asks for a reset link.
	b := newBrowser()
	status, err := b.requestReset(ctx, accSrv.URL, demoEmail)
	if err != nil {
		return nil, fmt.Errorf("browser: %w", err)
	}
	var work processed
	if status == http.StatusAccepted {
		select {
		case work = <-handled:
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the worker: %w", ctx.Err())
		}
	}

	// Stop as a service stops: the HTTP server first, which waits for the
	// handlers in flight, and so for otelgin to end the request's span,
	// then the worker; then flush what is left to Sentry.
	if err := errors.Join(stopAccounts(), stopWorker()); err != nil {
		return nil, err
	}
	if err := tel.flush(ctx); err != nil {
		return nil, err
	}
	// The flush waited for delivery: everything has arrived.
	txs, err := sentrySrv.Transactions()
	if err != nil {
		return nil, err
	}
	if err := sentrySrv.Err(); err != nil {
		return nil, fmt.Errorf("the fake Sentry rejected envelopes: %w", err)
	}
	return &outcome{
		browser:      b,
		status:       status,
		riskURL:      riskSrv.URL,
		mailerURL:    mailerSrv.URL,
		transactions: txs,
		risk:         risk.requests(),
		mailer:       mailer.requests(),
		worker:       work,
	}, nil
}

// cleanups is a stack of functions that release what the demo started.
type cleanups []func() error

// push adds f, to run before those pushed earlier.
func (c *cleanups) push(f func() error) {
	*c = append(*c, f)
}

// run runs the functions, the last pushed first, and joins their errors.
func (c cleanups) run() error {
	errs := make([]error, 0, len(c))
	for i := len(c) - 1; i >= 0; i-- {
		errs = append(errs, c[i]())
	}
	return errors.Join(errs...)
}

// redactURL returns u without its password, for messages.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(invalid URL)"
	}
	return p.Redacted()
}
