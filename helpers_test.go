package otelsentry

// Helpers shared by the tests of several files: hubs, the end-to-end
// harness around the loopback Sentry of sentryserver_test.go, reading its
// JSON, and an OTel error handler to look at.

import (
	"context"
	"log"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// newTestHub returns a hub with a client that sends nothing.
func newTestHub(t testing.TB, opts sentry.ClientOptions) *sentry.Hub {
	t.Helper()
	if opts.Dsn == "" {
		opts.Dsn = testDSN
	}
	if opts.Transport == nil {
		opts.Transport = &discardTransport{}
	}
	opts.EnableTracing = true // newTracingOffHub makes one without
	c, err := sentry.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	return sentry.NewHub(c, sentry.NewScope())
}

// discardTransport is a sentry.Transport that drops every event.
type discardTransport struct{}

func (*discardTransport) Configure(sentry.ClientOptions)        {}
func (*discardTransport) SendEvent(*sentry.Event)               {}
func (*discardTransport) Flush(time.Duration) bool              { return true }
func (*discardTransport) FlushWithContext(context.Context) bool { return true }
func (*discardTransport) Close()                                {}

// newTracingOffHub returns a hub with a client that sends nothing, has the
// sample rate rate, and leaves EnableTracing false.
func newTracingOffHub(t *testing.T, rate float64) *sentry.Hub {
	t.Helper()
	c, err := sentry.NewClient(sentry.ClientOptions{Dsn: testDSN, TracesSampleRate: rate, Transport: &discardTransport{}})
	if err != nil {
		t.Fatal(err)
	}
	return sentry.NewHub(c, sentry.NewScope())
}

// e2e is a TracerProvider with the processor and sampler of this package,
// sending through sentry-go's HTTP transport to a loopback Sentry.
type e2e struct {
	server *sentryServer
	hub    *sentry.Hub
	proc   *SpanProcessor
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
}

// newE2E sets up a TracerProvider with this package's sampler and processor,
// both given procOpts, sending to a new loopback Sentry.
func newE2E(t *testing.T, opts sentry.ClientOptions, procOpts ...Option) *e2e {
	t.Helper()
	if opts.TracesSampleRate == 0 {
		opts.TracesSampleRate = 1
	}
	opts.EnableTracing = true
	if opts.Release == "" {
		opts.Release = "backend@1.0.0"
	}
	if opts.Environment == "" {
		opts.Environment = "test"
	}
	srv := newSentryServer(t)
	hub := srv.Hub(opts)
	proc := NewSpanProcessor(append([]Option{WithHub(hub)}, procOpts...)...)
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(NewSampler(append([]Option{WithHub(hub)}, procOpts...)...)),
		sdktrace.WithSpanProcessor(proc),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "accounts"))),
	)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return &e2e{server: srv, hub: hub, proc: proc, tp: tp, tracer: tp.Tracer("otelsentry/test", trace.WithInstrumentationVersion("0.1.0")), prop: NewPropagator(WithHub(hub))}
}

func (e *e2e) flush(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.proc.ForceFlush(ctx); err != nil {
		t.Fatalf("ForceFlush: %v", err)
	}
}

// lookup reads a dotted path whose keys may themselves contain dots,
// trying the longest key first.
func lookup(v any, dotted string) any {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	if x, ok := m[dotted]; ok {
		return x
	}
	parts := strings.Split(dotted, ".")
	for i := len(parts) - 1; i > 0; i-- {
		if x, ok := m[strings.Join(parts[:i], ".")]; ok {
			if r := lookup(x, strings.Join(parts[i:], ".")); r != nil {
				return r
			}
		}
	}
	return nil
}

// recordingErrorHandler is an OTel error handler that keeps the errors it
// is given until stopped, then logs them as OTel's default handler does. OTel
// lets a process set its handler only once for good, so stop stands for
// restoring the default.
type recordingErrorHandler struct {
	mu      sync.Mutex
	errs    []error
	stopped bool
}

func (h *recordingErrorHandler) Handle(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		log.Print(err)
		return
	}
	h.errs = append(h.errs, err)
}

func (h *recordingErrorHandler) errors() []error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.errs)
}

func (h *recordingErrorHandler) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = true
}

// newRecordingErrorHandler makes a recordingErrorHandler OTel's error
// handler until t ends.
func newRecordingErrorHandler(t *testing.T) *recordingErrorHandler {
	h := &recordingErrorHandler{}
	otel.SetErrorHandler(h)
	t.Cleanup(h.stop)
	return h
}
