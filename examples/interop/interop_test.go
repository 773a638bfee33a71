package interop

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	sentryhttp "github.com/getsentry/sentry-go/http"
	sentryhttpclient "github.com/getsentry/sentry-go/httpclient"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelsentry/otelsentry"
	"github.com/otelsentry/otelsentry/examples/internal/fakesentry"
)

// service is one hop of a chain: an HTTP server that calls the next hop,
// if any, and records the headers it received.
type service struct {
	name  string
	srv   *httptest.Server
	url   string             // the base URL of a service not in srv: the node peer
	sink  *fakesentry.Server // its Sentry; nil for the plain OTel service
	spans *spanRecorder      // the plain OTel service's ended spans
	next  string             // URL of the next hop
	mu    sync.Mutex
	got   http.Header
	// flush delivers what the service holds.
	flush func()
	// call makes the outgoing request of the handler.
	client *http.Client
}

func (s *service) headers() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got
}

// handler records the request's headers and calls the next hop with the
// request's context.
func (s *service) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.got = r.Header.Clone()
		s.mu.Unlock()
		if s.next != "" {
			req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, s.next, nil)
			resp, err := s.client.Do(req)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		_, _ = io.WriteString(w, "ok")
	})
}

func newSink(t *testing.T) *fakesentry.Server {
	t.Helper()
	s, err := fakesentry.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func newHub(t *testing.T, dsn, release string) *sentry.Hub {
	t.Helper()
	c, err := sentry.NewClient(sentry.ClientOptions{Dsn: dsn, EnableTracing: true, TracesSampleRate: 1, Release: release})
	if err != nil {
		t.Fatal(err)
	}
	return sentry.NewHub(c, sentry.NewScope())
}

// startOtelsentry starts a service on otelhttp with otelsentry's sampler,
// processor and the README's composite propagator.
func startOtelsentry(t *testing.T, name, next string) *service {
	s := &service{name: name, sink: newSink(t), next: next}
	hub := newHub(t, s.sink.DSN(), name+"@1.0")
	proc := otelsentry.NewSpanProcessor(otelsentry.WithHub(hub))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(otelsentry.NewSampler(otelsentry.WithHub(hub))), sdktrace.WithSpanProcessor(proc))
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}, otelsentry.NewPropagator(otelsentry.WithHub(hub)))
	s.client = &http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport, otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(prop))}
	s.srv = httptest.NewServer(otelhttp.NewHandler(s.handler(), name, otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(prop)))
	s.flush = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tp.ForceFlush(ctx)
	}
	t.Cleanup(func() { s.srv.Close(); _ = tp.Shutdown(context.Background()) })
	return s
}

// startPlainOTel starts a service that speaks only W3C TraceContext and
// Baggage, with the SDK's stock sampler and no Sentry at all.
func startPlainOTel(t *testing.T, name, next string) *service {
	s := &service{name: name, next: next}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())))
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	s.spans = newSpanRecorder()
	tp.RegisterSpanProcessor(s.spans)
	s.client = &http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport, otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(prop))}
	s.srv = httptest.NewServer(otelhttp.NewHandler(s.handler(), name, otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(prop)))
	s.flush = func() {}
	t.Cleanup(func() { s.srv.Close(); _ = tp.Shutdown(context.Background()) })
	return s
}

// startSentryGo starts a service on sentry-go's own tracing: sentryhttp for
// the server, its httpclient round tripper for the outgoing call.
func startSentryGo(t *testing.T, name, next string) *service {
	return startSentryGoOfOrg(t, name, next, 0)
}

// startSentryGoOfOrg is startSentryGo with the client's OrgID (0: none).
func startSentryGoOfOrg(t *testing.T, name, next string, org uint64) *service {
	s := &service{name: name, sink: newSink(t), next: next}
	c, err := sentry.NewClient(sentry.ClientOptions{Dsn: s.sink.DSN(), EnableTracing: true, TracesSampleRate: 1,
		Release: name + "@1.0", OrgID: org})
	if err != nil {
		t.Fatal(err)
	}
	hub := sentry.NewHub(c, sentry.NewScope())
	s.client = &http.Client{Transport: sentryhttpclient.NewSentryRoundTripper(http.DefaultTransport)}
	traced := sentryhttp.New(sentryhttp.Options{}).Handle(s.handler())
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A hub of this service's own, not the process's current one.
		traced.ServeHTTP(w, r.WithContext(sentry.SetHubOnContext(r.Context(), hub.Clone())))
	}))
	s.flush = func() { hub.Client().Flush(5 * time.Second) }
	t.Cleanup(s.srv.Close)
	return s
}

// send sends one request into the first hop, then flushes every hop.
func send(t *testing.T, first *service, hops ...*service) {
	t.Helper()
	sendTo(t, first.srv.URL+"/", first, hops...)
}

// sendTo sends one request to url, the first hop's, then flushes every hop.
func sendTo(t *testing.T, url string, first *service, hops ...*service) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, h := range append([]*service{first}, hops...) {
		h.flush()
	}
}

// txOf returns the one transaction a service's Sentry received.
func txOf(t *testing.T, s *service) fakesentry.Transaction {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	txs, err := s.sink.WaitTransactions(ctx, 1)
	if err != nil {
		t.Fatalf("%s: %v", s.name, err)
	}
	return txs[0]
}

// clientSpan returns the span of tx with op http.client.
func clientSpan(t *testing.T, tx fakesentry.Transaction) fakesentry.Span {
	t.Helper()
	for _, s := range tx.Spans {
		if s.Op == "http.client" {
			return s
		}
	}
	t.Fatalf("transaction %q has no http.client span", tx.Name)
	return fakesentry.Span{}
}

// dscOf reads the sentry- members of a baggage header.
func dscOf(h http.Header) map[string]string {
	m := map[string]string{}
	for _, member := range strings.Split(strings.Join(h.Values("baggage"), ","), ",") {
		kv, _, _ := strings.Cut(strings.TrimSpace(member), ";")
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(k, "sentry-") {
			m[strings.TrimPrefix(k, "sentry-")] = strings.ReplaceAll(v, "%40", "@")
		}
	}
	return m
}

func sameDSC(a, b map[string]string) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	for k, v := range a {
		if b[k] != v && !sameNumber(k, v, b[k]) {
			return false
		}
	}
	return true
}

// sameNumber reports whether v and w, values of the DSC key k, are the same
// sample rate or random number written two ways: Sentry's JavaScript SDK
// reads them as numbers and writes them back shortest, so that an
// otelsentry "0.087130" comes back from @sentry/node as "0.08713".
func sameNumber(k, v, w string) bool {
	if k != "sample_rate" && k != "sample_rand" {
		return false
	}
	x, errX := strconv.ParseFloat(v, 64)
	y, errY := strconv.ParseFloat(w, 64)
	return errX == nil && errY == nil && x == y
}

// TestSentryGoBeforeOtelsentry: a sentry-go service calls an otelsentry
// service. otelsentry continues sentry-go's trace from its http.client span
// and puts the DSC it received on its envelope.
func TestSentryGoBeforeOtelsentry(t *testing.T) {
	back := startOtelsentry(t, "orders", "")
	front := startSentryGo(t, "gateway", back.srv.URL+"/")
	send(t, front, back)
	ftx, btx := txOf(t, front), txOf(t, back)
	if btx.Contexts.Trace.TraceID != ftx.Contexts.Trace.TraceID {
		t.Fatalf("two traces: %s, %s", ftx.Contexts.Trace.TraceID, btx.Contexts.Trace.TraceID)
	}
	if cs := clientSpan(t, ftx); btx.Contexts.Trace.ParentSpanID != cs.SpanID {
		t.Errorf("otelsentry's parent %s, not sentry-go's http.client span %s", btx.Contexts.Trace.ParentSpanID, cs.SpanID)
	}
	// sentry-go sends no sample_rand: otelsentry makes one up that agrees
	// with the caller's rate and decision, as Sentry's sampling rules ask,
	// and keeps the rest as received.
	sent := dscOf(back.headers())
	if _, ok := sent["sample_rand"]; !ok {
		if btx.DSC["sample_rand"] == "" {
			t.Error("no sample_rand made up for a caller that sent none")
		}
		sent["sample_rand"] = btx.DSC["sample_rand"]
	}
	if !sameDSC(btx.DSC, sent) {
		t.Errorf("otelsentry's envelope carries %v, not the DSC it received %v", btx.DSC, sent)
	}
}

// TestOtelsentryBeforeSentryGo: an otelsentry service calls a sentry-go
// service, which continues its trace from otelsentry's http.client span.
// sentry-go puts its own DSC on its envelope, not the one it received (its
// Scope.ApplyToEvent rebuilds it): that is sentry-go's limitation, recorded
// here, not a failure.
func TestOtelsentryBeforeSentryGo(t *testing.T) {
	back := startSentryGo(t, "billing", "")
	front := startOtelsentry(t, "orders", back.srv.URL+"/")
	send(t, front, back)
	ftx, btx := txOf(t, front), txOf(t, back)
	if btx.Contexts.Trace.TraceID != ftx.Contexts.Trace.TraceID {
		t.Fatalf("two traces: %s, %s", ftx.Contexts.Trace.TraceID, btx.Contexts.Trace.TraceID)
	}
	if cs := clientSpan(t, ftx); btx.Contexts.Trace.ParentSpanID != cs.SpanID {
		t.Errorf("sentry-go's parent %s, not otelsentry's http.client span %s", btx.Contexts.Trace.ParentSpanID, cs.SpanID)
	}
	sent := dscOf(back.headers())
	if !sameDSC(ftx.DSC, sent) {
		t.Errorf("otelsentry sent the DSC %v, its envelope carries %v", sent, ftx.DSC)
	}
	if sameDSC(btx.DSC, sent) {
		t.Log("sentry-go now keeps the incoming DSC on its envelopes: update the README's table")
	}
}

// TestPlainOTelBetweenOtelsentry: otelsentry, then a service that speaks
// only W3C TraceContext and Baggage, then otelsentry. Everything survives:
// the trace id, the parent (the middle's client span, through traceparent),
// and the DSC, whose sentry- members the middle's Baggage propagator passes
// on and the last service freezes from the W3C baggage. The one thing lost
// is the deferred decision, which traceparent cannot carry.
func TestPlainOTelBetweenOtelsentry(t *testing.T) {
	last := startOtelsentry(t, "mailer", "")
	middle := startPlainOTel(t, "legacy", last.srv.URL+"/")
	first := startOtelsentry(t, "orders", middle.srv.URL+"/")
	send(t, first, middle, last)
	ftx, ltx := txOf(t, first), txOf(t, last)
	if ltx.Contexts.Trace.TraceID != ftx.Contexts.Trace.TraceID {
		t.Fatalf("two traces: %s, %s", ftx.Contexts.Trace.TraceID, ltx.Contexts.Trace.TraceID)
	}
	var middleClient string
	for _, s := range middle.spans.ended() {
		if s.SpanKind().String() == "client" {
			middleClient = s.SpanContext().SpanID().String()
		}
	}
	if middleClient == "" || ltx.Contexts.Trace.ParentSpanID != middleClient {
		t.Errorf("the last service's parent %q is not the middle's client span %q", ltx.Contexts.Trace.ParentSpanID, middleClient)
	}
	got := last.headers()
	if got.Get("sentry-trace") != "" || got.Get("traceparent") == "" {
		t.Errorf("the middle sent %v: want traceparent and no sentry-trace", got)
	}
	if sent, firstSent := dscOf(got), dscOf(middle.headers()); !sameDSC(sent, firstSent) {
		t.Errorf("the middle's Baggage propagator dropped sentry- members: got %v, first sent %v", sent, firstSent)
	}
	if !sameDSC(ltx.DSC, ftx.DSC) {
		t.Errorf("the last service's envelope DSC %v, not the first's %v", ltx.DSC, ftx.DSC)
	}
}

// TestSentryGoOtelsentrySentryGo: otelsentry between two sentry-go
// services passes on the DSC it received, with the sample_rand it made up.
func TestSentryGoOtelsentrySentryGo(t *testing.T) {
	last := startSentryGo(t, "billing", "")
	middle := startOtelsentry(t, "orders", last.srv.URL+"/")
	first := startSentryGo(t, "gateway", middle.srv.URL+"/")
	send(t, first, middle, last)
	mtx, ltx := txOf(t, middle), txOf(t, last)
	if ltx.Contexts.Trace.TraceID != mtx.Contexts.Trace.TraceID || ltx.Contexts.Trace.ParentSpanID != clientSpan(t, mtx).SpanID {
		t.Errorf("the last service's trace %s parent %s; otelsentry's trace %s", ltx.Contexts.Trace.TraceID, ltx.Contexts.Trace.ParentSpanID, mtx.Contexts.Trace.TraceID)
	}
	if sentOn := dscOf(last.headers()); !sameDSC(sentOn, mtx.DSC) {
		t.Errorf("otelsentry sent on %v, its envelope carries %v", sentOn, mtx.DSC)
	}
}

// TestOrganizations: a sentry-go caller of another Sentry organization is
// not continued, strict or not; one of the same organization is; one that
// names none is continued only without StrictTraceContinuation.
func TestOrganizations(t *testing.T) {
	for _, tt := range []struct {
		name      string
		callerOrg uint64
		strict    bool
		continued bool
	}{
		{"same org", 123, false, true},
		{"same org, strict", 123, true, true},
		{"other org", 999, false, false},
		{"other org, strict", 999, true, false},
		{"caller without org", 0, false, true},
		{"caller without org, strict", 0, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			back := &service{name: "orders", sink: newSink(t)}
			c, err := sentry.NewClient(sentry.ClientOptions{Dsn: back.sink.DSN(), EnableTracing: true, TracesSampleRate: 1,
				OrgID: 123, StrictTraceContinuation: tt.strict})
			if err != nil {
				t.Fatal(err)
			}
			hub := sentry.NewHub(c, sentry.NewScope())
			tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(otelsentry.NewSampler(otelsentry.WithHub(hub))),
				sdktrace.WithSpanProcessor(otelsentry.NewSpanProcessor(otelsentry.WithHub(hub))))
			prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}, otelsentry.NewPropagator(otelsentry.WithHub(hub)))
			back.srv = httptest.NewServer(otelhttp.NewHandler(back.handler(), "orders", otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(prop)))
			back.flush = func() { _ = tp.ForceFlush(context.Background()) }
			t.Cleanup(func() { back.srv.Close(); _ = tp.Shutdown(context.Background()) })

			front := startSentryGoOfOrg(t, "gateway", back.srv.URL+"/", tt.callerOrg)
			send(t, front, back)
			ftx, btx := txOf(t, front), txOf(t, back)
			if continued := btx.Contexts.Trace.TraceID == ftx.Contexts.Trace.TraceID; continued != tt.continued {
				t.Errorf("continued = %v, want %v (caller DSC %v)", continued, tt.continued, dscOf(back.headers()))
			}
			if !tt.continued && btx.DSC["org_id"] != "123" {
				t.Errorf("the new trace's DSC %v is not this org's", btx.DSC)
			}
		})
	}
}

// TestSameDSC checks the comparison the interop tests use: numbers may be
// written two ways, nothing else may differ.
func TestSameDSC(t *testing.T) {
	base := map[string]string{"trace_id": "b373f9b2a0bd3a62164e298c4a855f41", "sample_rand": "0.087130", "sample_rate": "1", "release": "1.0"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for bk, bv := range base {
			m[bk] = bv
		}
		m[k] = v
		return m
	}
	for _, tt := range []struct {
		k, v string
		same bool
	}{
		{"sample_rand", "0.08713", true},
		{"sample_rate", "1.0", true},
		{"sample_rand", "0.08714", false},
		{"release", "1", false},
		{"trace_id", "b373f9b2a0bd3a62164e298c4a855f42", false},
	} {
		if got := sameDSC(base, with(tt.k, tt.v)); got != tt.same {
			t.Errorf("%s=%q against %q: same = %v, want %v", tt.k, tt.v, base[tt.k], got, tt.same)
		}
	}
}
