package fakesentry

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
)

// TestServerReceivesSentryGo sends a transaction with sentry-go's real HTTP
// transport and reads it back.
func TestServerReceivesSentryGo(t *testing.T) {
	srv := startServer(t)
	client, err := sentry.NewClient(sentry.ClientOptions{Dsn: srv.DSN(), Release: "test@1.0.0", EnableTracing: true, TracesSampleRate: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx := sentry.SetHubOnContext(context.Background(), sentry.NewHub(client, sentry.NewScope()))

	tx := sentry.StartTransaction(ctx, "checkout", sentry.WithOpName("task"))
	tx.StartChild("db", sentry.WithDescription("SELECT 1")).Finish()
	tx.Finish()
	if !client.Flush(5 * time.Second) {
		t.Fatal("sentry-go did not flush")
	}

	wctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	txs, err := srv.WaitTransactions(wctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	got := txs[0]
	if got.Name != "checkout" || got.Contexts.Trace.Op != "task" || got.Contexts.Trace.TraceID != tx.TraceID.String() {
		t.Errorf("got transaction %q op %q trace %s, want checkout, task, %s",
			got.Name, got.Contexts.Trace.Op, got.Contexts.Trace.TraceID, tx.TraceID)
	}
	if len(got.Spans) != 1 || got.Spans[0].Description != "SELECT 1" {
		t.Errorf("got spans %+v, want one SELECT 1", got.Spans)
	}
	if got.DSC["public_key"] != PublicKey || got.DSC["trace_id"] != tx.TraceID.String() {
		t.Errorf("got DSC %v, want public_key %s and trace_id %s", got.DSC, PublicKey, tx.TraceID)
	}
	if err := srv.Err(); err != nil {
		t.Errorf("server rejected requests: %v", err)
	}
}

func TestServerRejects(t *testing.T) {
	srv := startServer(t)
	tests := []struct {
		name, method, path, body string
	}{
		{name: "wrong path", method: http.MethodPost, path: "/api/42/store/", body: "{}\n"},
		{name: "wrong method", method: http.MethodGet, path: "/api/42/envelope/"},
		{name: "not an envelope", method: http.MethodPost, path: "/api/42/envelope/", body: "hello\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(srv.Envelopes())
			req, err := http.NewRequest(tt.method, srv.url+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400", resp.StatusCode)
			}
			if len(srv.Envelopes()) != before {
				t.Error("a rejected request was kept as an envelope")
			}
		})
	}
	if srv.Err() == nil {
		t.Error("Err() = nil after rejected requests")
	}
}

func TestWaitTransactionsHonoursContext(t *testing.T) {
	srv := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := srv.WaitTransactions(ctx, 1); err == nil {
		t.Fatal("WaitTransactions returned no error with nothing sent")
	}
}

func startServer(t *testing.T) *Server {
	t.Helper()
	srv, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	return srv
}
