package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/otelsentry/otelsentry/examples/internal/fakesentry"
)

// newTestAPI returns the API's router with a loopback Sentry, publishing to
// the broker at amqpURL.
func newTestAPI(t *testing.T, amqpURL string) (http.Handler, *fakesentry.Server, *telemetry) {
	t.Helper()
	sink, err := fakesentry.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sink.Close() })
	cfg := config{dsn: sink.DSN(), webOrigin: "http://page.test", amqpURL: amqpURL, queue: "password-reset-test"}
	tel, err := newTelemetry(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pub := newPublisher(cfg.amqpURL, cfg.queue, tel)
	t.Cleanup(pub.close)
	return newRouter(cfg.webOrigin, tel, pub), sink, tel
}

// unreachableBroker is an AMQP URL where nothing listens.
const unreachableBroker = "amqp://guest:guest@127.0.0.1:1/"

func TestBadRequestsEnqueueNothing(t *testing.T) {
	// The broker is unreachable: a request that got as far as publishing
	// would be answered 503, not 400.
	h, _, _ := newTestAPI(t, unreachableBroker)
	for _, tt := range []struct{ name, body, want string }{
		{"no body", "", "JSON body"},
		{"bad JSON", "{email:", "not valid JSON"},
		{"no email", `{"name":"ada"}`, "valid email"},
		{"not an email", `{"email":"ada"}`, "valid email"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodPost, "/users/reset-password", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), tt.want) {
				t.Errorf("%d %s, want 400 with %q", rec.Code, rec.Body, tt.want)
			}
		})
	}
}

func TestBrokerDownAnswers503AndRecordsTheError(t *testing.T) {
	h, sink, tel := newTestAPI(t, unreachableBroker)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/users/reset-password", strings.NewReader(`{"email":"ada@example.com"}`)))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("%d %s, want 503", rec.Code, rec.Body)
	}
	if err := tel.shutdown(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	txs, err := sink.WaitTransactions(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if st := txs[0].Contexts.Trace.Status; st == "ok" || txs[0].Name != "POST /users/reset-password" {
		t.Errorf("transaction %q with status %q", txs[0].Name, st)
	}
	events := 0
	for _, e := range sink.Envelopes() {
		for _, it := range e.Items {
			if it.Header.Type == "event" && strings.Contains(string(it.Payload), "task queue is unavailable") {
				events++
			}
		}
	}
	if events == 0 {
		t.Error("no error event for the broker's failure")
	}
}

func TestCORS(t *testing.T) {
	h, _, _ := newTestAPI(t, unreachableBroker)
	preflight := func(origin string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodOptions, "/users/reset-password", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "baggage,content-type,sentry-trace")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	rec := preflight("http://page.test")
	allowed := rec.Header().Get("Access-Control-Allow-Headers")
	if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != "http://page.test" {
		t.Fatalf("preflight from the page: %d %v", rec.Code, rec.Header())
	}
	for _, h := range []string{"sentry-trace", "baggage", "content-type"} {
		if !strings.Contains(allowed, h) {
			t.Errorf("Access-Control-Allow-Headers %q lacks %s", allowed, h)
		}
	}
	if rec := preflight("http://elsewhere.test"); rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("another origin is allowed: %v", rec.Header())
	}
}
