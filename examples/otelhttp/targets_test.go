package otelhttp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelsentry/otelsentry"
)

// TestTracePropagationTargets calls two loopback servers through otelhttp
// over otelsentry.NewTransport, with the client's TracePropagationTargets
// naming only the first: the second gets no sentry-trace and no sentry-
// members, but keeps the other vendor's member.
func TestTracePropagationTargets(t *testing.T) {
	got := map[string]http.Header{}
	server := func(name string) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got[name] = r.Header.Clone() }))
		t.Cleanup(s.Close)
		return s
	}
	ours, theirs := server("ours"), server("theirs")
	client, err := sentry.NewClient(sentry.ClientOptions{
		Dsn: "https://49d0f7386ad645858ae85020e393bef3@o123.ingest.sentry.io/42", EnableTracing: true, TracesSampleRate: 1,
		TracePropagationTargets: []string{ours.URL},
	})
	if err != nil {
		t.Fatal(err)
	}
	hub := sentry.NewHub(client, sentry.NewScope())
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(otelsentry.NewSampler(otelsentry.WithHub(hub))))
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}, otelsentry.NewPropagator(otelsentry.WithHub(hub)))
	httpClient := &http.Client{Transport: otelhttp.NewTransport(otelsentry.NewTransport(nil, otelsentry.WithHub(hub)),
		otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(prop))}

	member, _ := baggage.NewMember("vendor", "1")
	bag, _ := baggage.New(member)
	ctx, span := tp.Tracer("job").Start(baggage.ContextWithBaggage(context.Background(), bag), "job")
	defer span.End()
	for _, s := range []*httptest.Server{ours, theirs} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/x", nil)
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if h := got["ours"]; h.Get("sentry-trace") == "" || !strings.Contains(h.Get("baggage"), "sentry-trace_id=") {
		t.Errorf("the target got %v", h)
	}
	if h := got["theirs"]; h.Get("sentry-trace") != "" || strings.Contains(h.Get("baggage"), "sentry-") || !strings.Contains(h.Get("baggage"), "vendor=1") {
		t.Errorf("the other host got %v", h)
	}
}
