package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/otelsentry/otelsentry/examples/internal/fakesentry"
)

// The ops of the three transactions of one password reset.
const (
	opBrowser = "ui.action.submit" // the page's submit, around its fetch
	opAPI     = "http.server"
	opMailer  = "queue.process"
)

// transactions returns every transaction the loopback Sentry received.
func transactions(envs []fakesentry.Envelope) []fakesentry.Transaction {
	var out []fakesentry.Transaction
	for _, e := range envs {
		txs, err := e.Transactions()
		if err == nil {
			out = append(out, txs...)
		}
	}
	return out
}

// parts returns the browser's submit transaction and the API's and the
// mailer's of the same trace; nil for those not received.
func parts(envs []fakesentry.Envelope) (browser, api, mailer *fakesentry.Transaction) {
	txs := transactions(envs)
	for i := range txs {
		if txs[i].Contexts.Trace.Op == opBrowser {
			browser = &txs[i]
		}
	}
	if browser == nil {
		return nil, nil, nil
	}
	for i := range txs {
		tx := &txs[i]
		if tx.Contexts.Trace.TraceID != browser.Contexts.Trace.TraceID {
			continue
		}
		switch tx.Contexts.Trace.Op {
		case opAPI:
			api = tx
		case opMailer:
			mailer = tx
		}
	}
	return browser, api, mailer
}

// complete reports whether the three transactions arrived.
func (o *outcome) complete(envs []fakesentry.Envelope) bool {
	b, a, m := parts(envs)
	return b != nil && a != nil && m != nil
}

// row is one line of the waterfall: a transaction or a span.
type row struct {
	Service     string         `json:"service"`
	Transaction bool           `json:"transaction"`
	Depth       int            `json:"depth"`
	Op          string         `json:"op"`
	Name        string         `json:"name"`
	Status      string         `json:"status"`
	SpanID      string         `json:"spanId"`
	Parent      string         `json:"parentSpanId"`
	Start       float64        `json:"start"` // ms since the trace's first start
	Duration    float64        `json:"duration"`
	Data        map[string]any `json:"data,omitempty"`
}

// traceView is the trace as a waterfall.
type traceView struct {
	TraceID string
	Rows    []row
	Total   float64 // ms
	DSC     map[string]string
}

// trace builds the waterfall of the browser's trace.
func (o *outcome) trace() traceView {
	browser, api, mailer := parts(o.envelopes)
	var tv traceView
	var txs []struct {
		service string
		tx      *fakesentry.Transaction
	}
	for _, p := range []struct {
		service string
		tx      *fakesentry.Transaction
	}{{"web", browser}, {"api", api}, {"mailer", mailer}} {
		if p.tx != nil {
			txs = append(txs, p)
		}
	}
	if len(txs) == 0 {
		return tv
	}
	tv.TraceID = txs[0].tx.Contexts.Trace.TraceID
	tv.DSC = txs[0].tx.DSC
	t0 := txs[0].tx.StartTimestamp.Time
	var end time.Time
	for _, p := range txs {
		t0 = minTime(t0, p.tx.StartTimestamp.Time)
		end = maxTime(end, p.tx.Timestamp.Time)
	}
	ms := func(t time.Time) float64 { return float64(t.Sub(t0)) / float64(time.Millisecond) }
	for _, p := range txs {
		tc := p.tx.Contexts.Trace
		tv.Rows = append(tv.Rows, row{
			Service: p.service, Transaction: true, Op: tc.Op, Name: p.tx.Name, Status: tc.Status,
			SpanID: tc.SpanID, Parent: tc.ParentSpanID, Start: ms(p.tx.StartTimestamp.Time),
			Duration: ms(p.tx.Timestamp.Time) - ms(p.tx.StartTimestamp.Time), Data: tc.Data,
		})
		depth := map[string]int{tc.SpanID: 0}
		spans := slices.Clone(p.tx.Spans)
		slices.SortFunc(spans, func(a, b fakesentry.Span) int { return a.StartTimestamp.Compare(b.StartTimestamp.Time) })
		for _, s := range spans {
			d := depth[s.ParentSpanID] + 1
			depth[s.SpanID] = d
			tv.Rows = append(tv.Rows, row{
				Service: p.service, Depth: d, Op: s.Op, Name: s.Description, Status: s.Status,
				SpanID: s.SpanID, Parent: s.ParentSpanID, Start: ms(s.StartTimestamp.Time),
				Duration: ms(s.Timestamp.Time) - ms(s.StartTimestamp.Time), Data: s.Data,
			})
		}
	}
	tv.Total = ms(end)
	return tv
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// writeText prints the waterfall: one row per transaction and span, with a
// bar for its start and duration, its op, name and status.
func (tv traceView) writeText(w io.Writer) {
	if len(tv.Rows) == 0 {
		fmt.Fprintln(w, "\nNo trace arrived.")
		return
	}
	const width = 40
	fmt.Fprintf(w, "\nTrace %s, %.1f ms\n\n", tv.TraceID, tv.Total)
	for _, r := range tv.Rows {
		from := int(r.Start / tv.Total * width)
		n := max(1, int(r.Duration/tv.Total*width+0.5))
		from = min(from, width-1)
		n = min(n, width-from)
		bar := strings.Repeat(" ", from) + strings.Repeat("█", n) + strings.Repeat(" ", width-from-n)
		label := r.Name
		if r.Transaction {
			label = "▶ " + label
		}
		label = strings.Repeat("  ", r.Depth) + label
		fmt.Fprintf(w, "%-7s |%s| %8.1f ms  %-17s %-44s %s\n", r.Service, bar, r.Duration, r.Op, trim(label, 44), r.Status)
	}
	keys := slices.Sorted(maps.Keys(tv.DSC))
	fmt.Fprintf(w, "\nThe browser's DSC, on every envelope of the trace:\n")
	for _, k := range keys {
		fmt.Fprintf(w, "  %s=%s\n", k, tv.DSC[k])
	}
}

func trim(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// html returns the waterfall as a self-contained page: no network, each
// span's data shown on click.
func (tv traceView) html() []byte {
	data, _ := json.Marshal(tv.Rows)
	var b bytes.Buffer
	_ = htmlPage.Execute(&b, struct {
		TraceID string
		Total   float64
		Rows    template.JS
	}{tv.TraceID, tv.Total, template.JS(data)})
	return b.Bytes()
}

var htmlPage = template.Must(template.New("trace").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Trace {{.TraceID}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}
h1{font-size:1.2rem}.meta{color:#666}
.row{display:grid;grid-template-columns:5rem 40% 8rem 1fr 7rem;gap:.5rem;align-items:center;padding:.2rem .3rem;cursor:pointer;border-bottom:1px solid #eee;font-size:.85rem}
.row:hover{background:#f4f6ff}.row.sel{background:#e3e9ff}
.track{position:relative;height:14px;background:#f6f6f6}
.bar{position:absolute;top:2px;height:10px;border-radius:2px;min-width:2px}
.web .bar{background:#8e6bd8}.api .bar{background:#2f80ed}.mailer .bar{background:#27ae60}
.transaction{font-weight:600}.error{color:#c0392b}
#data{white-space:pre-wrap;background:#fafafa;border:1px solid #ddd;padding:.8rem;margin-top:1rem;font-size:.8rem}
</style></head><body>
<h1>Trace {{.TraceID}}</h1>
<p class="meta">{{printf "%.1f" .Total}} ms · the browser, the API and the mailer · click a row for its data</p>
<div id="rows"></div><pre id="data">Click a row.</pre>
<script>
const rows = {{.Rows}};
const total = {{.Total}} || 1;
const list = document.getElementById("rows");
rows.forEach((r, i) => {
  const el = document.createElement("div");
  el.className = "row span " + r.service + (r.transaction ? " transaction" : "");
  const name = "\u00a0".repeat(r.depth * 3) + (r.transaction ? "▶ " : "") + (r.name || "");
  el.innerHTML = '<span></span><div class="track"><div class="bar"></div></div><span></span><span></span><span></span>';
  const [svc, track, op, nm, st] = el.children;
  svc.textContent = r.service;
  const bar = track.firstChild;
  bar.style.left = (100 * r.start / total) + "%";
  bar.style.width = Math.max(0.3, 100 * r.duration / total) + "%";
  bar.title = r.duration.toFixed(1) + " ms";
  op.textContent = r.op;
  nm.textContent = name;
  st.textContent = r.status + " · " + r.duration.toFixed(1) + " ms";
  if (r.status && r.status !== "ok") st.className = "error";
  el.addEventListener("click", () => {
    document.querySelectorAll(".row.sel").forEach((x) => x.classList.remove("sel"));
    el.classList.add("sel");
    document.getElementById("data").textContent = JSON.stringify(
      {op: r.op, name: r.name, status: r.status, span_id: r.spanId, parent_span_id: r.parentSpanId, data: r.data}, null, 2);
  });
  list.appendChild(el);
});
</script></body></html>
`))

// verify checks the trace: one trace from the browser's click, the API's
// transaction a child of the browser's fetch span, the mailer's a child of
// the API's publish span, and the browser's DSC on every envelope of the
// services.
func (o *outcome) verify() []string {
	var problems []string
	browser, api, mailer := parts(o.envelopes)
	switch {
	case browser == nil:
		return []string{"no transaction of the page's submit arrived"}
	case api == nil:
		problems = append(problems, "no http.server transaction of the API in the browser's trace")
	case mailer == nil:
		problems = append(problems, "no queue.process transaction of the mailer in the browser's trace")
	}
	var fetch *fakesentry.Span
	for i, s := range browser.Spans {
		if s.Op == "http.client" && strings.Contains(s.Description, "/users/reset-password") {
			fetch = &browser.Spans[i]
		}
	}
	if fetch == nil {
		problems = append(problems, "the browser's transaction has no fetch span of /users/reset-password")
	}
	if api != nil {
		if fetch != nil && api.Contexts.Trace.ParentSpanID != fetch.SpanID {
			problems = append(problems, fmt.Sprintf("the API's transaction has parent %s, not the browser's fetch span %s",
				api.Contexts.Trace.ParentSpanID, fetch.SpanID))
		}
		if api.Name != "POST /users/reset-password" || api.Contexts.Trace.Status != "ok" {
			problems = append(problems, fmt.Sprintf("the API's transaction is %q (%s)", api.Name, api.Contexts.Trace.Status))
		}
		if mailer != nil {
			var publish string
			for _, s := range api.Spans {
				if s.Op == "queue.publish" {
					publish = s.SpanID
				}
			}
			if publish == "" || mailer.Contexts.Trace.ParentSpanID != publish {
				problems = append(problems, "the mailer's transaction is not a child of the API's queue.publish span")
			}
		}
	}
	for _, e := range o.envelopes {
		if !envelopeOfTrace(e, browser.Contexts.Trace.TraceID) || maps.Equal(e.Header.Trace, browser.DSC) {
			continue
		}
		problems = append(problems, fmt.Sprintf("an envelope of the trace carries the DSC %v, not the browser's %v", e.Header.Trace, browser.DSC))
	}
	return problems
}

// envelopeOfTrace reports whether an envelope of the services holds a
// transaction or an event of the trace.
func envelopeOfTrace(e fakesentry.Envelope, traceID string) bool {
	for _, it := range e.Items {
		if it.Header.Type != "transaction" && it.Header.Type != "event" {
			continue
		}
		var ev struct {
			Contexts struct {
				Trace struct {
					TraceID string `json:"trace_id"`
				} `json:"trace"`
			} `json:"contexts"`
		}
		if json.Unmarshal(it.Payload, &ev) == nil && ev.Contexts.Trace.TraceID == traceID {
			return true
		}
	}
	return false
}
