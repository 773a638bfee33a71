package main

import (
	"bytes"
	"context"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/otelsentry/otelsentry/examples/internal/fakesentry"
	"github.com/otelsentry/otelsentry/examples/internal/testbroker"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

// TestResetPasswordFlow runs the demo against the real broker and checks
// what Sentry received.
func TestResetPasswordFlow(t *testing.T) {
	cfg := config{
		amqpURL: testbroker.URL(t),
		// A queue of its own, so that the test may run beside the demo.
		queue: "password-reset-test-" + randomHex(4),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}

	if out.status != http.StatusAccepted {
		t.Errorf("accounts service answered %d, want 202", out.status)
	}
	if len(out.transactions) != 2 {
		t.Fatalf("Sentry received %d transactions, want 2: %+v", len(out.transactions), out.transactions)
	}
	req, proc := transactionWithOp(t, out, "http.server"), transactionWithOp(t, out, "queue.process")
	wantDSC := out.browser.dscMap()

	t.Run("request transaction", func(t *testing.T) {
		tc := req.Contexts.Trace
		if req.Name != "POST /reset-password" || req.TransactionInfo.Source != "route" || tc.Status != "ok" {
			t.Errorf("got %q source %q status %q, want \"POST /reset-password\" route ok", req.Name, req.TransactionInfo.Source, tc.Status)
		}
		if tc.TraceID != out.browser.traceID || tc.ParentSpanID != out.browser.spanID {
			t.Errorf("trace %s parent %s, want the browser's %s %s", tc.TraceID, tc.ParentSpanID, out.browser.traceID, out.browser.spanID)
		}
		if !maps.Equal(req.DSC, wantDSC) {
			t.Errorf("envelope DSC %v,\nwant the browser's %v", req.DSC, wantDSC)
		}
	})

	t.Run("request spans", func(t *testing.T) {
		if len(req.Spans) != 8 {
			t.Fatalf("got %d spans, want 8: %+v", len(req.Spans), req.Spans)
		}
		wantDB := []string{sqlUserByEmail, sqlRecentTokens, sqlDeleteExpired, sqlInsertToken, sqlMarkRequested}
		wantHTTP := []string{"POST " + out.riskURL + "/v1/score", "POST " + out.mailerURL + "/v1/messages"}
		wantQueue := []string{cfg.queue}
		if got := descriptions(req, "db"); !slices.Equal(got, wantDB) {
			t.Errorf("db spans %q,\nwant %q", got, wantDB)
		}
		if got := descriptions(req, "http.client"); !slices.Equal(got, wantHTTP) {
			t.Errorf("http.client spans %q, want %q", got, wantHTTP)
		}
		if got := descriptions(req, "queue.publish"); !slices.Equal(got, wantQueue) {
			t.Errorf("queue.publish spans %q, want %q", got, wantQueue)
		}
		for _, s := range req.Spans {
			if s.TraceID != out.browser.traceID || s.ParentSpanID != req.Contexts.Trace.SpanID || s.Status != "ok" {
				t.Errorf("span %s %q: trace %s parent %s status %s, want a child of the request, ok",
					s.Op, s.Description, s.TraceID, s.ParentSpanID, s.Status)
			}
		}
	})

	t.Run("queue.process transaction", func(t *testing.T) {
		tc := proc.Contexts.Trace
		if proc.Name != "process "+cfg.queue || tc.Status != "ok" {
			t.Errorf("got %q status %q, want %q ok", proc.Name, tc.Status, "process "+cfg.queue)
		}
		pub := spanWithOp(req, "queue.publish")
		if pub == nil || tc.ParentSpanID != pub.SpanID || tc.TraceID != out.browser.traceID {
			t.Errorf("trace %s parent %s, want the publish span of trace %s", tc.TraceID, tc.ParentSpanID, out.browser.traceID)
		}
		if pub != nil && pub.Data["messaging.message.id"] != tc.Data["messaging.message.id"] {
			t.Errorf("message id %v on publish, %v on process: Sentry cannot match them",
				pub.Data["messaging.message.id"], tc.Data["messaging.message.id"])
		}
		if !maps.Equal(proc.DSC, wantDSC) {
			t.Errorf("envelope DSC %v,\nwant the browser's %v", proc.DSC, wantDSC)
		}
	})

	t.Run("report", func(t *testing.T) {
		line, ok := out.verdict()
		if !ok || line != "OK: 1 request transaction with 8 spans + 1 queue.process transaction, one trace" {
			t.Errorf("verdict %q", line)
		}
		var buf bytes.Buffer
		out.report(&buf)
		for _, want := range []string{"POST /reset-password", "process " + cfg.queue, sqlInsertToken, "the browser's span"} {
			if !strings.Contains(buf.String(), want) {
				t.Errorf("report lacks %q:\n%s", want, buf.String())
			}
		}
	})

	t.Run("verdict fails on a wrong outcome", func(t *testing.T) {
		testVerdictFails(t, out)
	})
}

// testVerdictFails spoils a good outcome in one way at a time and checks
// that the verdict notices.
func testVerdictFails(t *testing.T, good *outcome) {
	tests := []struct {
		name  string
		spoil func(o *outcome)
	}{
		{name: "status", spoil: func(o *outcome) { o.status = http.StatusInternalServerError }},
		{name: "a transaction missing", spoil: func(o *outcome) { o.transactions = o.transactions[:1] }},
		{name: "a span missing", spoil: func(o *outcome) {
			tx := &o.transactions[indexOfOp(o, "http.server")]
			tx.Spans = tx.Spans[1:]
		}},
		{name: "a new trace", spoil: func(o *outcome) {
			o.transactions[indexOfOp(o, "queue.process")].Contexts.Trace.TraceID = randomHex(16)
		}},
		{name: "process not under publish", spoil: func(o *outcome) {
			o.transactions[indexOfOp(o, "queue.process")].Contexts.Trace.ParentSpanID = randomHex(8)
		}},
		{name: "DSC rebuilt", spoil: func(o *outcome) {
			tx := &o.transactions[indexOfOp(o, "http.server")]
			tx.DSC = maps.Clone(tx.DSC)
			tx.DSC["public_key"] = fakesentry.PublicKey
		}},
		{name: "baggage lost downstream", spoil: func(o *outcome) { o.mailer = []propagated{{SentryTrace: o.mailer[0].SentryTrace}} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := cloneOutcome(good)
			tt.spoil(o)
			if line, ok := o.verdict(); ok {
				t.Errorf("verdict %q", line)
			}
		})
	}
}

// cloneOutcome copies o deeply enough for a test to change its
// transactions, their spans and the downstream headers.
func cloneOutcome(o *outcome) *outcome {
	c := *o
	c.transactions = slices.Clone(o.transactions)
	for i := range c.transactions {
		c.transactions[i].Spans = slices.Clone(c.transactions[i].Spans)
	}
	c.mailer = slices.Clone(o.mailer)
	return &c
}

func indexOfOp(o *outcome, op string) int {
	return slices.IndexFunc(o.transactions, func(tx fakesentry.Transaction) bool { return tx.Contexts.Trace.Op == op })
}

func transactionWithOp(t *testing.T, o *outcome, op string) fakesentry.Transaction {
	t.Helper()
	txs := o.byOp(op)
	if len(txs) != 1 {
		t.Fatalf("got %d %s transactions, want 1", len(txs), op)
	}
	return txs[0]
}

// descriptions returns the descriptions of tx's spans with op, in order.
func descriptions(tx fakesentry.Transaction, op string) []string {
	var out []string
	for _, s := range tx.Spans {
		if s.Op == op {
			out = append(out, s.Description)
		}
	}
	return out
}
