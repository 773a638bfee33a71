package benchmarks

import (
	"context"
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
)

// discardTransport is a sentry.Transport without a network. With encode set,
// SendEvent does the per-event work of sentry-go's HTTP transport, whose
// envelope item is json.Marshal(event), synchronously, and drops the bytes.
// It counts what it was given, so that tests and benchmarks can check that
// every variant delivered the whole request.
type discardTransport struct {
	encode bool

	events atomic.Int64 // events given to SendEvent
	spans  atomic.Int64 // child spans of those events
	bytes  atomic.Int64 // JSON bytes made
	failed atomic.Int64 // events json.Marshal refused

	last atomic.Pointer[sentry.Event] // the event given last
}

var _ sentry.Transport = (*discardTransport)(nil)

func (t *discardTransport) Configure(sentry.ClientOptions) {}

func (t *discardTransport) SendEvent(event *sentry.Event) {
	if t.encode {
		body, err := json.Marshal(event)
		if err != nil {
			t.failed.Add(1)
			return
		}
		t.bytes.Add(int64(len(body)))
	}
	t.events.Add(1)
	t.spans.Add(int64(len(event.Spans)))
	t.last.Store(event)
}

func (t *discardTransport) Flush(time.Duration) bool              { return true }
func (t *discardTransport) FlushWithContext(context.Context) bool { return true }
func (t *discardTransport) Close()                                {}

// newHub returns a hub whose client has the backend's DSN, sends through
// transport and samples transactions at rate.
func newHub(tb testing.TB, transport sentry.Transport, rate float64) *sentry.Hub {
	tb.Helper()
	client, err := sentry.NewClient(sentry.ClientOptions{
		Dsn:              backendDSN,
		Transport:        transport,
		Release:          "auth-service@1.8.3",
		Environment:      "production",
		EnableTracing:    true,
		TracesSampleRate: rate,
	})
	if err != nil {
		tb.Fatalf("sentry.NewClient: %v", err)
	}
	return sentry.NewHub(client, sentry.NewScope())
}

// serviceResource is the resource of every TracerProvider here.
func serviceResource(tb testing.TB) *resource.Resource {
	tb.Helper()
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(serviceAttributes...))
	if err != nil {
		tb.Fatalf("resource.Merge: %v", err)
	}
	return res
}

// sentryRequest returns the frontend's request as the backend receives it:
// sentry-trace and baggage, among a few ordinary headers.
func sentryRequest() propagation.HeaderCarrier {
	h := ordinaryHeaders()
	h.Set("sentry-trace", sentryTraceValue)
	h.Set("baggage", baggageValue)
	return propagation.HeaderCarrier(h)
}

// w3cRequest returns the same request with traceparent instead of
// sentry-trace, for the OpenTelemetry composite.
func w3cRequest() propagation.HeaderCarrier {
	h := ordinaryHeaders()
	h.Set("traceparent", traceparentValue)
	h.Set("baggage", baggageValue)
	return propagation.HeaderCarrier(h)
}

func ordinaryHeaders() http.Header {
	h := make(http.Header)
	h.Set("Accept", "application/json")
	h.Set("Content-Type", "application/json")
	h.Set("Origin", "https://app.example.com")
	h.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
	return h
}
