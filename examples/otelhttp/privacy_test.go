package otelhttp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelsentry/otelsentry"
	"github.com/otelsentry/otelsentry/examples/internal/fakesentry"
)

// TestOtelhttpURLsLeakNoSecrets calls a server through otelhttp's transport
// with credentials in the URL and secrets in the query, under default
// client options, and reads what reached the loopback Sentry.
func TestOtelhttpURLsLeakNoSecrets(t *testing.T) {
	sink, err := fakesentry.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sink.Close() })
	client, err := sentry.NewClient(sentry.ClientOptions{Dsn: sink.DSN(), EnableTracing: true, TracesSampleRate: 1})
	if err != nil {
		t.Fatal(err)
	}
	hub := sentry.NewHub(client, sentry.NewScope())
	proc := otelsentry.NewSpanProcessor(otelsentry.WithHub(hub))
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(otelsentry.NewSampler(otelsentry.WithHub(hub))),
		sdktrace.WithSpanProcessor(proc),
	)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}, otelsentry.NewPropagator(otelsentry.WithHub(hub)))

	backend := httptest.NewServer(otelhttp.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}), "charge", otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(prop)))
	t.Cleanup(backend.Close)

	u, _ := url.Parse(backend.URL)
	u.User = url.UserPassword("alice", "s3cret")
	u.Path = "/v1/charge"
	u.RawQuery = "api_key=CLIENT-API-KEY&access_token=CLIENT-TOKEN&page=2"
	httpClient := &http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport, otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(prop))}

	ctx, root := tp.Tracer("job").Start(context.Background(), "nightly charge")
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), nil)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	root.End()
	fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := proc.ForceFlush(fctx); err != nil {
		t.Fatal(err)
	}
	txs, err := sink.WaitTransactions(fctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	var sawURL bool
	for _, tx := range txs {
		datas := []map[string]any{tx.Contexts.Trace.Data}
		for _, s := range tx.Spans {
			datas = append(datas, s.Data)
			if strings.Contains(s.Description, "s3cret") || strings.Contains(s.Description, "CLIENT-") {
				t.Errorf("description %q", s.Description)
			}
		}
		for _, data := range datas {
			for k, v := range data {
				s, _ := v.(string)
				if strings.Contains(s, "s3cret") || strings.Contains(s, "CLIENT-API-KEY") || strings.Contains(s, "CLIENT-TOKEN") || strings.Contains(s, "alice") {
					t.Errorf("%s = %q reached Sentry", k, s)
				}
				if k == "url.full" && strings.Contains(s, "api_key=[Filtered]") && strings.Contains(s, "page=2") {
					sawURL = true
				}
			}
		}
	}
	if !sawURL {
		t.Error("no url.full with its query filtered: the test saw no otelhttp client span")
	}
}
