package main

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/baggage"

	"github.com/otelsentry/otelsentry/examples/internal/fakesentry"
)

// Sentry ops of the transactions and spans the demo expects.
const (
	opHTTPServer   = "http.server"
	opHTTPClient   = "http.client"
	opDB           = "db"
	opQueuePublish = "queue.publish"
	opQueueProcess = "queue.process"
)

// wantRequestSpans is the number of spans of each op the request
// transaction must have: the five statements, the two calls and the
// publication.
var wantRequestSpans = map[string]int{opDB: 5, opHTTPClient: 2, opQueuePublish: 1}

// outcome is what a run of the demo observed.
type outcome struct {
	browser            browser
	status             int // the accounts service's answer to the browser
	riskURL, mailerURL string
	// transactions are those Sentry received, in order of arrival.
	transactions []fakesentry.Transaction
	// risk and mailer are the trace headers those services received.
	risk, mailer []propagated
	// worker is what the worker reported of the message it processed.
	worker processed
}

// report writes what Sentry and the services received.
func (o *outcome) report(w io.Writer) {
	fmt.Fprintf(w, "The browser (trace %s, span %s) sent POST /reset-password: %d %s\n",
		o.browser.traceID, o.browser.spanID, o.status, http.StatusText(o.status))
	fmt.Fprintf(w, "The accounts service reports to the Sentry project of key %s; the browser to the one of key %s.\n\n",
		fakesentry.PublicKey, o.browser.dscMap()["public_key"])

	txs := slices.SortedFunc(slices.Values(o.transactions), func(a, b fakesentry.Transaction) int {
		return a.StartTimestamp.Compare(b.StartTimestamp.Time)
	})
	fmt.Fprintf(w, "Sentry received %s:\n", plural(len(txs), "transaction"))
	for _, tx := range txs {
		o.reportTransaction(w, tx)
	}

	fmt.Fprintln(w, "\nWhat the trace carried downstream:")
	o.reportDownstream(w, "risk", o.risk)
	o.reportDownstream(w, "mailer", o.mailer)
	fmt.Fprintf(w, "  %-7s DSC of the message: %s\n\n", "worker", o.compareDSC(maps.Collect(o.worker.DSC.All())))
}

func (o *outcome) reportTransaction(w io.Writer, tx fakesentry.Transaction) {
	tc := tx.Contexts.Trace
	fmt.Fprintf(w, "\n  %s\n", tx.Name)
	fmt.Fprintf(w, "    op %s, source %s, status %s, %.1f ms\n", tc.Op, tx.TransactionInfo.Source, tc.Status,
		float64(tx.Timestamp.Sub(tx.StartTimestamp.Time).Microseconds())/1000)
	fmt.Fprintf(w, "    trace %s, parent span %s (%s)\n", tc.TraceID, tc.ParentSpanID, o.describeSpan(tc.ParentSpanID))
	if tc.Op == opQueueProcess {
		// What Sentry's Queues insight shows of the message.
		fmt.Fprintf(w, "    message %v, %v bytes, receive latency %v ms\n", tc.Data["messaging.message.id"],
			tc.Data["messaging.message.body.size"], tc.Data["messaging.message.receive.latency"])
	}
	fmt.Fprintf(w, "    %s:\n", plural(len(tx.Spans), "span"))
	for _, s := range tx.Spans {
		fmt.Fprintf(w, "      %-14s %s\n", s.Op, s.Description)
	}
	fmt.Fprintf(w, "    envelope DSC: %s\n", o.compareDSC(tx.DSC))
	for _, k := range o.dscKeys(tx.DSC) {
		fmt.Fprintf(w, "      %s=%s\n", k, tx.DSC[k])
	}
}

func (o *outcome) reportDownstream(w io.Writer, name string, got []propagated) {
	if len(got) != 1 {
		fmt.Fprintf(w, "  %-7s %d request(s), want 1\n", name, len(got))
		return
	}
	h := got[0]
	_, parent, _ := splitSentryTrace(h.SentryTrace)
	fmt.Fprintf(w, "  %-7s sentry-trace %s (parent: %s)\n", name, h.SentryTrace, o.describeSpan(parent))
	fmt.Fprintf(w, "  %-7s baggage: %s\n", "", o.compareDSC(sentryMembers(h.Baggage)))
}

// describeSpan says which span id is: the browser's, or a span Sentry
// received.
func (o *outcome) describeSpan(id string) string {
	if id == "" {
		return "none"
	}
	if id == o.browser.spanID {
		return "the browser's span"
	}
	for _, tx := range o.transactions {
		if tx.Contexts.Trace.SpanID == id {
			return "the transaction " + tx.Name
		}
		for _, s := range tx.Spans {
			if s.SpanID == id {
				return "the " + s.Op + " span " + s.Description
			}
		}
	}
	return "unknown span"
}

// compareDSC tells whether dsc is the browser's.
func (o *outcome) compareDSC(dsc map[string]string) string {
	if maps.Equal(dsc, o.browser.dscMap()) {
		return fmt.Sprintf("the browser's, all %d members", len(dsc))
	}
	return fmt.Sprintf("NOT the browser's: %d members %v", len(dsc), dsc)
}

// dscKeys returns the keys of dsc in the browser's order, then any others
// sorted.
func (o *outcome) dscKeys(dsc map[string]string) []string {
	keys := make([]string, 0, len(dsc))
	for _, m := range o.browser.dsc {
		if _, ok := dsc[m.key]; ok {
			keys = append(keys, m.key)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(dsc)) {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// verdict returns the report's last line, and whether the demo showed what
// it should: one request transaction with its eight spans and one
// queue.process transaction, in the browser's trace, with the browser's DSC
// everywhere.
func (o *outcome) verdict() (string, bool) {
	problems := o.verify()
	if len(problems) > 0 {
		return "FAIL: " + strings.Join(problems, "; "), false
	}
	return fmt.Sprintf("OK: 1 request transaction with %d spans + 1 queue.process transaction, one trace", o.requestSpanCount()), true
}

// verify returns what differs from the expected outcome.
func (o *outcome) verify() []string {
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if o.status != http.StatusAccepted {
		fail("the accounts service answered %d, want 202", o.status)
	}
	reqs, procs := o.byOp(opHTTPServer), o.byOp(opQueueProcess)
	if len(o.transactions) != 2 || len(reqs) != 1 || len(procs) != 1 {
		fail("%d transactions (%d %s, %d %s), want one of each", len(o.transactions), len(reqs), opHTTPServer, len(procs), opQueueProcess)
		return problems
	}
	req, proc := reqs[0], procs[0]

	if req.Name != "POST /reset-password" || req.TransactionInfo.Source != "route" {
		fail("request transaction %q (source %s), want \"POST /reset-password\" (route)", req.Name, req.TransactionInfo.Source)
	}
	if got := req.Contexts.Trace.ParentSpanID; got != o.browser.spanID {
		fail("request transaction's parent %s, want the browser's span %s", got, o.browser.spanID)
	}
	ops := map[string]int{}
	for _, s := range req.Spans {
		ops[s.Op]++
	}
	if !maps.Equal(ops, wantRequestSpans) {
		fail("request spans by op %v, want %v", ops, wantRequestSpans)
	}
	if pub := spanWithOp(req, opQueuePublish); pub == nil || proc.Contexts.Trace.ParentSpanID != pub.SpanID {
		fail("%s transaction's parent %s is not the %s span", opQueueProcess, proc.Contexts.Trace.ParentSpanID, opQueuePublish)
	}
	for _, tx := range o.transactions {
		if !o.inTrace(tx) {
			fail("%q is not entirely in the browser's trace %s", tx.Name, o.browser.traceID)
		}
		if !maps.Equal(tx.DSC, o.browser.dscMap()) {
			fail("the envelope of %q carries DSC %v, not the browser's", tx.Name, tx.DSC)
		}
	}
	problems = append(problems, o.verifyDownstream(req)...)
	return problems
}

// verifyDownstream checks what the risk and mailer services and the worker
// received: the browser's trace, each call's own span as parent, and the
// browser's DSC.
func (o *outcome) verifyDownstream(req fakesentry.Transaction) []string {
	var problems []string
	for name, got := range map[string][]propagated{"risk": o.risk, "mailer": o.mailer} {
		if len(got) != 1 {
			problems = append(problems, fmt.Sprintf("%s received %d requests, want 1", name, len(got)))
			continue
		}
		traceID, parent, _ := splitSentryTrace(got[0].SentryTrace)
		if s := spanWithID(req, parent); traceID != o.browser.traceID || s == nil || s.Op != opHTTPClient {
			problems = append(problems, fmt.Sprintf("%s received sentry-trace %q, not the trace of an http.client span", name, got[0].SentryTrace))
		}
		if !maps.Equal(sentryMembers(got[0].Baggage), o.browser.dscMap()) {
			problems = append(problems, fmt.Sprintf("%s received baggage %q, not the browser's DSC", name, got[0].Baggage))
		}
	}
	if o.worker.Err != nil {
		problems = append(problems, fmt.Sprintf("the worker failed: %v", o.worker.Err))
	}
	if !maps.Equal(maps.Collect(o.worker.DSC.All()), o.browser.dscMap()) {
		problems = append(problems, "the worker's message did not carry the browser's DSC")
	}
	slices.Sort(problems) // map order
	return problems
}

// byOp returns the transactions whose root has op.
func (o *outcome) byOp(op string) []fakesentry.Transaction {
	var out []fakesentry.Transaction
	for _, tx := range o.transactions {
		if tx.Contexts.Trace.Op == op {
			out = append(out, tx)
		}
	}
	return out
}

// requestSpanCount returns the number of spans of the request transaction.
func (o *outcome) requestSpanCount() int {
	if reqs := o.byOp(opHTTPServer); len(reqs) == 1 {
		return len(reqs[0].Spans)
	}
	return 0
}

// inTrace reports whether tx and all its spans are in the browser's trace.
func (o *outcome) inTrace(tx fakesentry.Transaction) bool {
	if tx.Contexts.Trace.TraceID != o.browser.traceID {
		return false
	}
	for _, s := range tx.Spans {
		if s.TraceID != o.browser.traceID {
			return false
		}
	}
	return true
}

// spanWithOp returns the first span of tx with op, or nil.
func spanWithOp(tx fakesentry.Transaction, op string) *fakesentry.Span {
	for i := range tx.Spans {
		if tx.Spans[i].Op == op {
			return &tx.Spans[i]
		}
	}
	return nil
}

// spanWithID returns the span of tx with id, or nil.
func spanWithID(tx fakesentry.Transaction, id string) *fakesentry.Span {
	for i := range tx.Spans {
		if tx.Spans[i].SpanID == id {
			return &tx.Spans[i]
		}
	}
	return nil
}

// splitSentryTrace splits a sentry-trace header into its trace id, span id
// and sampled flag.
func splitSentryTrace(h string) (traceID, spanID, sampled string) {
	parts := strings.SplitN(h, "-", 3)
	parts = append(parts, "", "", "")
	return parts[0], parts[1], parts[2]
}

// sentryMembers returns the sentry- members of a baggage header, decoded,
// keys without the prefix.
func sentryMembers(header string) map[string]string {
	b, _ := baggage.Parse(header) // the valid members even on error
	out := map[string]string{}
	for _, m := range b.Members() {
		if k, ok := strings.CutPrefix(m.Key(), "sentry-"); ok {
			out[k] = m.Value()
		}
	}
	return out
}

// plural returns "1 span", "2 spans".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
