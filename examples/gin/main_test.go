package main

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/gin-gonic/gin"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelsentry/otelsentry/examples/internal/fakesentry"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

// The headers a browser running Sentry's JavaScript SDK sends with a fetch.
const (
	browserTrace   = "771a43a4192642f0b136d5159a501700"
	browserSpan    = "b7ad6b7169203331"
	browserBaggage = "sentry-trace_id=771a43a4192642f0b136d5159a501700,sentry-public_key=49d0f7386ad645858ae85020e393bef3," +
		"sentry-sample_rate=0.25,sentry-sample_rand=0.0731,sentry-sampled=true,sentry-release=web%404.2.0," +
		"sentry-environment=production,sentry-transaction=%2Fprofile%2F%3Aid,sentry-org_id=1234567"
)

// browserDSC is browserBaggage decoded: what the envelope must carry.
var browserDSC = map[string]string{
	"trace_id": browserTrace, "public_key": "49d0f7386ad645858ae85020e393bef3", "sample_rate": "0.25",
	"sample_rand": "0.0731", "sampled": "true", "release": "web@4.2.0", "environment": "production",
	"transaction": "/profile/:id", "org_id": "1234567",
}

func TestRequestContinuesBrowserTrace(t *testing.T) {
	svc := startService(t)

	req, err := http.NewRequest(http.MethodGet, svc.srv.URL+"/users/1", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("sentry-trace", browserTrace+"-"+browserSpan+"-1")
	req.Header.Set("baggage", browserBaggage)
	resp, err := svc.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}

	tx := svc.receive(t)
	if tx.Name != "GET /users/:id" || tx.TransactionInfo.Source != "route" {
		t.Errorf("transaction %q (source %q), want \"GET /users/:id\" (route)", tx.Name, tx.TransactionInfo.Source)
	}
	tc := tx.Contexts.Trace
	if tc.Op != "http.server" || tc.Status != "ok" {
		t.Errorf("op %q status %q, want http.server ok", tc.Op, tc.Status)
	}
	if tc.TraceID != browserTrace || tc.ParentSpanID != browserSpan {
		t.Errorf("trace %s parent %s, want the browser's %s %s", tc.TraceID, tc.ParentSpanID, browserTrace, browserSpan)
	}
	if !maps.Equal(tx.DSC, browserDSC) {
		t.Errorf("envelope DSC %v,\nwant the browser's %v", tx.DSC, browserDSC)
	}
}

func TestRequestWithoutTraceStartsOne(t *testing.T) {
	svc := startService(t)

	resp, err := svc.srv.Client().Get(svc.srv.URL + "/users/1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}

	tx := svc.receive(t)
	tc := tx.Contexts.Trace
	if tx.Name != "GET /users/:id" || tc.Status != "ok" || tc.ParentSpanID != "" {
		t.Errorf("transaction %q status %q parent %q, want \"GET /users/:id\" ok and no parent", tx.Name, tc.Status, tc.ParentSpanID)
	}
	// The trace starts here, so the DSC is this service's own.
	if tx.DSC["trace_id"] != tc.TraceID || tx.DSC["public_key"] != fakesentry.PublicKey ||
		tx.DSC["sample_rate"] != "1" || tx.DSC["release"] != "users@1.0.0" {
		t.Errorf("envelope DSC %v, want a head DSC of trace %s, this project's key and release, rate 1", tx.DSC, tc.TraceID)
	}
}

// TestNotFoundIsNotTraced shows sentry-go's default TraceIgnoreStatusCodes,
// which otelsentry follows: a request answered 404 sends no transaction.
// Set ClientOptions.TraceIgnoreStatusCodes to [][]int{} to keep them.
func TestNotFoundIsNotTraced(t *testing.T) {
	svc := startService(t)

	resp, err := svc.srv.Client().Get(svc.srv.URL + "/users/404")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d, want 404", resp.StatusCode)
	}
	svc.flush(t)
	txs, err := svc.sentry.Transactions()
	if err != nil {
		t.Fatal(err)
	}
	if len(txs) != 0 {
		t.Errorf("Sentry received %d transactions for a 404, want none", len(txs))
	}
}

// service is the gin service under test, sending to a fake Sentry.
type service struct {
	sentry *fakesentry.Server
	tp     *sdktrace.TracerProvider
	srv    *httptest.Server
}

// startService starts a fake Sentry and the service, whose hub's client
// sends to it through sentry-go's real HTTP transport.
func startService(t *testing.T) *service {
	t.Helper()
	sentrySrv, err := fakesentry.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sentrySrv.Close() })
	client, err := sentry.NewClient(sentry.ClientOptions{Dsn: sentrySrv.DSN(), Release: "users@1.0.0", EnableTracing: true, TracesSampleRate: 1.0})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	tp, prop := setup(sentry.NewHub(client, sentry.NewScope()))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return &service{sentry: sentrySrv, tp: tp, srv: httptest.NewServer(newRouter(tp, prop, testOrigin))}
}

// flush closes the service, which waits for its handlers and so for otelgin
// to end their spans, and flushes the tracer provider.
func (s *service) flush(t *testing.T) {
	t.Helper()
	s.srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.tp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
}

// receive flushes and returns the one transaction Sentry received.
func (s *service) receive(t *testing.T) fakesentry.Transaction {
	t.Helper()
	s.flush(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	txs, err := s.sentry.WaitTransactions(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.sentry.Err(); err != nil {
		t.Errorf("Sentry rejected envelopes: %v", err)
	}
	if len(txs) != 1 {
		t.Fatalf("got %d transactions, want 1", len(txs))
	}
	return txs[0]
}

// testOrigin is the page origin the test service lets in.
const testOrigin = "http://page.test"

// TestCORSPreflightAllowsSentryHeaders sends a browser's preflight for a
// request with sentry-trace and baggage: it passes for the page's origin,
// and makes no transaction.
func TestCORSPreflightAllowsSentryHeaders(t *testing.T) {
	svc := startService(t)
	req, err := http.NewRequest(http.MethodOptions, svc.srv.URL+"/users/1", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", testOrigin)
	req.Header.Set("Access-Control-Request-Method", "GET")
	req.Header.Set("Access-Control-Request-Headers", "baggage,sentry-trace")
	resp, err := svc.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	allowed := resp.Header.Get("Access-Control-Allow-Headers")
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != testOrigin ||
		!strings.Contains(allowed, "sentry-trace") || !strings.Contains(allowed, "baggage") {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}
