package otelsentry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// resetPassword records what a typical reset-password request does: a POST
// server span, five queries, two HTTP calls and a RabbitMQ publish.
func resetPassword(ctx context.Context, tracer trace.Tracer) (context.Context, trace.Span) {
	ctx, server := tracer.Start(ctx, "POST /reset-password", trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
		attribute.String("http.request.method", "POST"),
		attribute.String("http.route", "/reset-password"),
		attribute.String("url.path", "/reset-password"),
		attribute.String("url.scheme", "https"),
		attribute.Int("http.response.status_code", 200),
	))
	queries := []string{
		"SELECT id, email FROM users WHERE email = $1",
		"SELECT count(*) FROM reset_tokens WHERE user_id = $1 AND created_at > $2",
		"DELETE FROM reset_tokens WHERE user_id = $1",
		"INSERT INTO reset_tokens (user_id, token_hash, expires_at) VALUES ($1, $2, $3)",
		"UPDATE users SET reset_requested_at = now() WHERE id = $1",
	}
	for _, q := range queries {
		_, db := tracer.Start(ctx, strings.Fields(q)[0]+" accounts", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
			attribute.String("db.system.name", "postgresql"),
			attribute.String("db.query.text", q),
			attribute.String("db.namespace", "accounts"),
		))
		db.End()
	}
	for _, call := range []struct{ method, url string }{
		{"GET", "https://risk.internal/v1/score?email=a%40b.c"},
		{"POST", "https://mailer.internal/v1/send#frag"},
	} {
		_, c := tracer.Start(ctx, call.method, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
			attribute.String("http.request.method", call.method),
			attribute.String("url.full", call.url),
			attribute.Int("http.response.status_code", 200),
		))
		c.End()
	}
	_, pub := tracer.Start(ctx, "publish password_reset", trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(
		attribute.String("messaging.system", "rabbitmq"),
		attribute.String("messaging.operation.type", "publish"),
		attribute.String("messaging.destination.name", "password_reset"),
		attribute.String("messaging.message.id", "msg-1"),
		attribute.Int("messaging.message.body.size", 128),
	))
	pub.End()
	return ctx, server
}

func TestResetPasswordTransaction(t *testing.T) {
	for _, tr := range sentryTransports {
		t.Run(tr.name, func(t *testing.T) { testResetPasswordTransaction(t, tr.opts) })
	}
}

func testResetPasswordTransaction(t *testing.T, opts sentry.ClientOptions) {
	e := newE2E(t, opts)
	ctx, server := resetPassword(context.Background(), e.tracer)
	injected := propagation.MapCarrier{}
	e.prop.Inject(ctx, injected)
	server.End()
	e.flush(t)

	txs := e.server.waitItems("transaction", 1)
	if len(txs) != 1 {
		t.Fatalf("got %d transactions", len(txs))
	}
	tx := txs[0].Item
	sc := server.SpanContext()
	checks := map[string]any{
		"type":                                "transaction",
		"transaction":                         "POST /reset-password",
		"transaction_info.source":             "route",
		"contexts.trace.op":                   "http.server",
		"contexts.trace.status":               "ok",
		"contexts.trace.trace_id":             sc.TraceID().String(),
		"contexts.trace.span_id":              sc.SpanID().String(),
		"contexts.trace.origin":               "auto.otel",
		"contexts.trace.data.otel.kind":       "server",
		"contexts.trace.data.otel.scope.name": "otelsentry/test",
		"contexts.otel.resource.service.name": "accounts",
		"release":                             "backend@1.0.0",
		"environment":                         "test",
	}
	for key, want := range checks {
		if got := lookup(tx, key); got != want {
			t.Errorf("%s = %v, want %v", key, got, want)
		}
	}
	spans, _ := tx["spans"].([]any)
	if len(spans) != 8 {
		t.Fatalf("got %d spans, want 8", len(spans))
	}
	ops := map[string]int{}
	for _, s := range spans {
		m := s.(map[string]any)
		ops[str(m["op"])]++
		if m["parent_span_id"] != sc.SpanID().String() || m["trace_id"] != sc.TraceID().String() {
			t.Errorf("span %v is not linked to the transaction", m["span_id"])
		}
		switch str(m["op"]) {
		case "db":
			if !strings.HasPrefix(str(m["description"]), "SELECT") && !strings.Contains(str(m["description"]), " ") {
				t.Errorf("db description %q", m["description"])
			}
		case "http.client":
			if d := str(m["description"]); d != "GET https://risk.internal/v1/score" && d != "POST https://mailer.internal/v1/send" {
				t.Errorf("http.client description %q", d)
			}
		case "queue.publish":
			if m["description"] != "password_reset" || lookup(m, "data.messaging.system") != "rabbitmq" ||
				lookup(m, "data.messaging.message.id") != "msg-1" || lookup(m, "data.messaging.message.body.size") != 128.0 {
				t.Errorf("queue span %v", m)
			}
		}
	}
	if ops["db"] != 5 || ops["http.client"] != 2 || ops["queue.publish"] != 1 {
		t.Errorf("ops %v", ops)
	}
	// The envelope's DSC is the one sent downstream.
	sent, _ := parseDSC(injected[baggageHeader])
	if got := txs[0].Envelope["trace"]; !sameDSC(got, sent) {
		t.Errorf("envelope trace %v, propagated %v", got, dscPairs(sent))
	}
}

func sameDSC(envelopeTrace any, d DynamicSamplingContext) bool {
	m, ok := envelopeTrace.(map[string]any)
	if !ok || len(m) != d.Len() {
		return false
	}
	for k, v := range d.All() {
		if m[k] != v {
			return false
		}
	}
	return true
}

// sentryTransports are the two ways sentry-go sends events: its default
// telemetry buffer, and the HTTPTransport that a custom Transport or
// DisableTelemetryBuffer selects. Each builds the envelope on its own.
var sentryTransports = []struct {
	name string
	opts sentry.ClientOptions
}{
	{"telemetry-buffer", sentry.ClientOptions{}},
	{"http-transport", sentry.ClientOptions{DisableTelemetryBuffer: true}},
}

func TestFrozenDSCInEnvelope(t *testing.T) {
	for _, tr := range sentryTransports {
		t.Run(tr.name, func(t *testing.T) { testFrozenDSCInEnvelope(t, tr.opts) })
	}
}

func testFrozenDSCInEnvelope(t *testing.T, opts sentry.ClientOptions) {
	e := newE2E(t, opts)
	// The caller's DSC names another org: use one without org_id so the
	// loopback DSN (no org) continues it.
	incoming := strings.Replace(frontendBaggage, "sentry-org_id=123, ", "", 1)
	ctx := e.prop.Extract(context.Background(), propagation.MapCarrier{sentryTraceHeader: frontendSentryTrace, baggageHeader: incoming})
	ctx, server := e.tracer.Start(ctx, "GET /items/{id}", trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
		attribute.String("http.method", "GET"), attribute.String("http.route", "/items/{id}"), attribute.Int("http.status_code", 403)))
	out := propagation.MapCarrier{}
	e.prop.Inject(ctx, out)
	server.End()
	e.flush(t)

	tx := e.server.waitItems("transaction", 1)[0]
	frozen, _ := DynamicSamplingContextFromContext(ctx)
	if !sameDSC(tx.Envelope["trace"], frozen) {
		t.Errorf("envelope trace %v, want the frozen DSC %v", tx.Envelope["trace"], dscPairs(frozen))
	}
	if lookup(tx.Envelope["trace"], "public_key") != "49d0f7386ad645858ae85020e393bef3" || lookup(tx.Envelope["trace"], "release") != "frontend@1.2.3" {
		t.Errorf("envelope trace lost the caller's values: %v", tx.Envelope["trace"])
	}
	sent, _ := parseDSC(out[baggageHeader])
	if !equalPairs(dscPairs(sent), dscPairs(frozen)) {
		t.Errorf("propagated %v, frozen %v", dscPairs(sent), dscPairs(frozen))
	}
	if got := lookup(tx.Item, "contexts.trace.parent_span_id"); got != goldenSpanHex {
		t.Errorf("parent_span_id = %v", got)
	}
	if got := lookup(tx.Item, "contexts.trace.status"); got != "permission_denied" {
		t.Errorf("status = %v", got)
	}
	if got := lookup(tx.Item, "transaction"); got != "GET /items/{id}" {
		t.Errorf("transaction = %v", got)
	}
}

func TestConsumerSpanIsItsOwnTransaction(t *testing.T) {
	e := newE2E(t, sentry.ClientOptions{})
	ctx, pub := e.tracer.Start(context.Background(), "publish jobs", trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(attribute.String("messaging.system", "rabbitmq"), attribute.String("messaging.destination.name", "jobs")))
	headers := propagation.MapCarrier{}
	e.prop.Inject(ctx, headers)
	pub.End()

	cctx := e.prop.Extract(context.Background(), headers)
	_, consume := e.tracer.Start(cctx, "process jobs", trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(
		attribute.String("messaging.system", "rabbitmq"), attribute.String("messaging.operation.type", "process"),
		attribute.String("messaging.destination.name", "jobs"), attribute.Int("messaging.message.retry.count", 2)))
	consume.End()
	e.flush(t)

	txs := e.server.waitItems("transaction", 2)
	byOp := map[string]receivedItem{}
	for _, tx := range txs {
		byOp[str(lookup(tx.Item, "contexts.trace.op"))] = tx
	}
	c, ok := byOp["queue.process"]
	if !ok {
		t.Fatalf("no queue.process transaction in %v", byOp)
	}
	if lookup(c.Item, "contexts.trace.parent_span_id") != pub.SpanContext().SpanID().String() {
		t.Errorf("consumer parent = %v", lookup(c.Item, "contexts.trace.parent_span_id"))
	}
	if lookup(c.Item, "contexts.trace.data.messaging.message.retry.count") != 2.0 {
		t.Errorf("retry count missing: %v", lookup(c.Item, "contexts.trace.data"))
	}
	if !sameDSCMaps(c.Envelope["trace"], byOp["queue.publish"].Envelope["trace"]) {
		t.Errorf("consumer envelope DSC %v differs from the producer's %v", c.Envelope["trace"], byOp["queue.publish"].Envelope["trace"])
	}
}

func sameDSCMaps(a, b any) bool {
	am, _ := a.(map[string]any)
	bm, _ := b.(map[string]any)
	if len(am) == 0 || len(am) != len(bm) {
		return false
	}
	for k, v := range am {
		if bm[k] != v {
			return false
		}
	}
	return true
}

func TestLateChildren(t *testing.T) {
	e := newE2E(t, sentry.ClientOptions{}, WithGracePeriod(50*time.Millisecond))
	ctx, root := e.tracer.Start(context.Background(), "root")
	_, inGrace := e.tracer.Start(ctx, "ends within the grace period")
	lctx, late := e.tracer.Start(ctx, "ends after the grace period")
	_, grandchild := e.tracer.Start(lctx, "grandchild")
	root.End()
	inGrace.End()
	// Wait until the grace period is over and the transaction has gone.
	for deadline := time.Now().Add(10 * time.Second); e.proc.Stats().Transactions == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	grandchild.End()
	late.End()
	_, afterRoot := e.tracer.Start(ctx, "starts after the root was sent")
	afterRoot.End()
	e.flush(t)

	txs := e.server.waitItems("transaction", 3)
	byName := map[string]map[string]any{}
	for _, tx := range txs {
		byName[str(tx.Item["transaction"])] = tx.Item
	}
	main := byName["root"]
	if main == nil || len(main["spans"].([]any)) != 1 {
		t.Fatalf("root transaction %v", main)
	}
	rootID := root.SpanContext().SpanID().String()
	for _, name := range []string{"ends after the grace period", "starts after the root was sent"} {
		f := byName[name]
		if f == nil {
			t.Fatalf("no follow-up transaction %q in %d transactions", name, len(txs))
		}
		if lookup(f, "contexts.trace.parent_span_id") != rootID || lookup(f, "contexts.trace.trace_id") != root.SpanContext().TraceID().String() {
			t.Errorf("%s: follow-up not linked: %v", name, f["contexts"])
		}
		if lookup(f, "contexts.trace.data.otelsentry.follow_up") != true {
			t.Errorf("%s: not marked as a follow-up", name)
		}
	}
	if spans := byName["ends after the grace period"]["spans"].([]any); len(spans) != 1 || lookup(spans[0], "description") != "grandchild" {
		t.Errorf("the grandchild is not in its parent's follow-up: %v", spans)
	}
}

func TestRecordedErrorBecomesErrorEvent(t *testing.T) {
	for _, tr := range sentryTransports {
		t.Run(tr.name, func(t *testing.T) { testRecordedErrorBecomesErrorEvent(t, tr.opts) })
	}
}

func testRecordedErrorBecomesErrorEvent(t *testing.T, opts sentry.ClientOptions) {
	e := newE2E(t, opts)
	ctx, root := e.tracer.Start(context.Background(), "checkout")
	_, child := e.tracer.Start(ctx, "charge card")
	child.RecordError(&cardError{"card declined"}, trace.WithStackTrace(true))
	child.SetStatus(codes.Error, "card declined")
	child.End()
	root.End()
	e.flush(t)

	ev := e.server.waitItems("event", 1)[0]
	excs, _ := ev.Item["exception"].([]any)
	if len(excs) != 1 {
		t.Fatalf("exceptions %v", ev.Item["exception"])
	}
	exc := excs[0]
	if lookup(exc, "type") != "*otelsentry.cardError" || lookup(exc, "value") != "card declined" {
		t.Errorf("exception %v", exc)
	}
	frames, _ := lookup(exc, "stacktrace.frames").([]any)
	if len(frames) == 0 {
		t.Fatalf("no stack frames in %v", exc)
	}
	last := frames[len(frames)-1]
	if !strings.Contains(str(lookup(last, "function")), "TestRecordedErrorBecomesErrorEvent") && !strings.Contains(fmt.Sprint(frames), "TestRecordedErrorBecomesErrorEvent") {
		t.Errorf("the test function is not among the frames: %v", frames)
	}
	if lookup(ev.Item, "contexts.trace.span_id") != child.SpanContext().SpanID().String() ||
		lookup(ev.Item, "contexts.trace.trace_id") != child.SpanContext().TraceID().String() {
		t.Errorf("error not linked to its span: %v", lookup(ev.Item, "contexts.trace"))
	}
	if ev.Item["level"] != "error" || ev.Item["transaction"] != "checkout" {
		t.Errorf("level %v transaction %v", ev.Item["level"], ev.Item["transaction"])
	}
	tx := e.server.waitItems("transaction", 1)[0]
	span := tx.Item["spans"].([]any)[0]
	if lookup(span, "status") != "internal_error" {
		t.Errorf("span status %v", lookup(span, "status"))
	}
	if !sameDSCMaps(ev.Envelope["trace"], tx.Envelope["trace"]) {
		t.Errorf("error envelope DSC %v, transaction's %v", ev.Envelope["trace"], tx.Envelope["trace"])
	}
}

type cardError struct{ msg string }

func (e *cardError) Error() string { return e.msg }

func TestCapturedErrorCarriesActiveSpan(t *testing.T) {
	e := newE2E(t, sentry.ClientOptions{})
	ctx, span := e.tracer.Start(context.Background(), "handler")
	e.hub.Client().CaptureException(errors.New("boom"), &sentry.EventHint{Context: ctx}, e.hub.Scope())
	span.End()
	e.flush(t)
	ev := e.server.waitItems("event", 1)[0]
	if lookup(ev.Item, "contexts.trace.span_id") != span.SpanContext().SpanID().String() ||
		lookup(ev.Item, "contexts.trace.trace_id") != span.SpanContext().TraceID().String() {
		t.Errorf("captured error trace context %v, want span %s", lookup(ev.Item, "contexts.trace"), span.SpanContext().SpanID())
	}
}

func TestSpanLinks(t *testing.T) {
	e := newE2E(t, sentry.ClientOptions{})
	linked := trace.NewSpanContext(trace.SpanContextConfig{TraceID: goldenTraceID, SpanID: goldenSpanID, TraceFlags: trace.FlagsSampled})
	ctx, root := e.tracer.Start(context.Background(), "batch", trace.WithLinks(trace.Link{SpanContext: linked, Attributes: []attribute.KeyValue{attribute.String("reason", "batch")}}))
	_, child := e.tracer.Start(ctx, "item", trace.WithLinks(trace.Link{SpanContext: linked}))
	child.End()
	root.End()
	e.flush(t)
	tx := e.server.waitItems("transaction", 1)[0].Item
	links, _ := lookup(tx, "contexts.trace.links").([]any)
	if len(links) != 1 || lookup(links[0], "trace_id") != goldenTraceHex || lookup(links[0], "span_id") != goldenSpanHex ||
		lookup(links[0], "sampled") != true || lookup(links[0], "attributes.reason") != "batch" {
		t.Errorf("transaction links %v", links)
	}
	childLinks, _ := lookup(tx["spans"].([]any)[0], "data.links").([]any)
	if len(childLinks) != 1 || lookup(childLinks[0], "span_id") != goldenSpanHex {
		t.Errorf("span links %v", childLinks)
	}
}

func TestMaxSpansKeepsEarliest(t *testing.T) {
	e := newE2E(t, sentry.ClientOptions{MaxSpans: 10})
	ctx, root := e.tracer.Start(context.Background(), "root")
	base := time.Now()
	var spans []trace.Span
	for i := range 15 {
		_, s := e.tracer.Start(ctx, fmt.Sprintf("child-%02d", i), trace.WithTimestamp(base.Add(time.Duration(i)*time.Millisecond)))
		spans = append(spans, s)
	}
	for i := len(spans) - 1; i >= 0; i-- { // end the latest first
		spans[i].End()
	}
	root.End()
	e.flush(t)
	tx := e.server.waitItems("transaction", 1)[0].Item
	got := tx["spans"].([]any)
	if len(got) != 10 {
		t.Fatalf("kept %d spans", len(got))
	}
	for _, s := range got {
		var i int
		if _, err := fmt.Sscanf(str(lookup(s, "description")), "child-%d", &i); err != nil || i >= 10 {
			t.Errorf("kept %v, not one of the ten earliest", lookup(s, "description"))
		}
	}
	if d := e.proc.Stats().SpansDropped; d != 5 {
		t.Errorf("SpansDropped = %d, want 5", d)
	}
	// The drop goes out in a client report, which rides along with a later
	// envelope: buffer_overflow, the span buffer MaxSpans bounds being full.
	_, next := e.tracer.Start(context.Background(), "next")
	next.End()
	e.flush(t)
	reports := e.server.waitItems("client_report", 1)
	found := false
	for _, r := range reports {
		events, _ := r.Item["discarded_events"].([]any)
		for _, d := range events {
			if lookup(d, "category") == "span" && lookup(d, "reason") == "buffer_overflow" && lookup(d, "quantity") == 5.0 {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no client report of 5 dropped spans in %v", reports)
	}
}

func TestSentryUploadsSkipped(t *testing.T) {
	e := newE2E(t, sentry.ClientOptions{})
	host := strings.TrimPrefix(e.server.srv.URL, "http://")
	_, upload := e.tracer.Start(context.Background(), "POST", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("http.request.method", "POST"),
		attribute.String("url.full", "http://"+host+"/api/42/envelope/?sentry_key=49d0f7386ad645858ae85020e393bef3")))
	upload.End()
	_, other := e.tracer.Start(context.Background(), "other")
	other.End()
	e.flush(t)
	e.server.waitItems("transaction", 1)
	time.Sleep(50 * time.Millisecond)
	if txs := e.server.items("transaction"); len(txs) != 1 || txs[0].Item["transaction"] != "other" {
		t.Errorf("sentry-go's own upload was sent: %d transactions", len(txs))
	}
}

func TestUnsampledSendsNothing(t *testing.T) {
	e := newE2E(t, sentry.ClientOptions{TracesSampleRate: 0.000001})
	for range 50 {
		ctx, root := e.tracer.Start(context.Background(), "dropped")
		_, c := e.tracer.Start(ctx, "child")
		c.End()
		root.End()
	}
	e.flush(t)
	time.Sleep(50 * time.Millisecond)
	if n := len(e.server.items("transaction")); n != 0 {
		t.Errorf("%d transactions sent for unsampled traces", n)
	}
}

func TestProcessorLifecycle(t *testing.T) {
	hub := newTestHub(t, sentry.ClientOptions{TracesSampleRate: 1})
	t.Run("ForceFlush checks ctx first", func(t *testing.T) {
		p := NewSpanProcessor(WithHub(hub))
		defer func() { _ = p.Shutdown(context.Background()) }()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := p.ForceFlush(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("ForceFlush(cancelled) = %v", err)
		}
	})
	t.Run("Shutdown runs once and leaves no goroutine", func(t *testing.T) {
		p := NewSpanProcessor(WithHub(hub))
		if p.goroutines.Load() == 0 {
			t.Fatal("no worker goroutine")
		}
		if err := p.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		select {
		case <-p.done:
		default:
			t.Error("Shutdown returned before the worker")
		}
		// This processor's own goroutines: another test's, still exiting
		// on a loaded machine, must not count.
		if n := p.goroutines.Load(); n != 0 {
			t.Errorf("%d goroutines outlived Shutdown", n)
		}
		if err := p.Shutdown(context.Background()); err != nil {
			t.Errorf("second Shutdown = %v", err)
		}
		if err := p.ForceFlush(context.Background()); err != nil {
			t.Errorf("ForceFlush after Shutdown = %v", err)
		}
	})
	t.Run("quiet after Shutdown", func(t *testing.T) {
		srv := newSentryServer(t)
		hub := srv.Hub(sentry.ClientOptions{TracesSampleRate: 1})
		p := NewSpanProcessor(WithHub(hub))
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
		_, open := tp.Tracer("t").Start(context.Background(), "open across shutdown")
		if err := p.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		open.End()
		_, s := tp.Tracer("t").Start(context.Background(), "after")
		s.End()
		hub.Client().Flush(time.Second)
		if n := len(srv.items("transaction")); n != 0 {
			t.Errorf("%d transactions after Shutdown", n)
		}
	})
	t.Run("Shutdown flushes held transactions", func(t *testing.T) {
		srv := newSentryServer(t)
		hub := srv.Hub(sentry.ClientOptions{TracesSampleRate: 1})
		p := NewSpanProcessor(WithHub(hub), WithGracePeriod(time.Hour))
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
		ctx, root := tp.Tracer("t").Start(context.Background(), "root")
		_, child := tp.Tracer("t").Start(ctx, "child")
		root.End()
		if err := tp.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		child.End()
		if n := len(srv.waitItems("transaction", 1)); n != 1 {
			t.Errorf("%d transactions", n)
		}
	})
	t.Run("Shutdown honours its deadline", func(t *testing.T) {
		p := NewSpanProcessor(WithHub(hub))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := p.Shutdown(ctx)
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Shutdown(cancelled) = %v", err)
		}
		waitNoGoroutine(t, p)
	})
}

// waitNoGoroutine waits until every goroutine p started has returned.
func waitNoGoroutine(t *testing.T, p *SpanProcessor) {
	t.Helper()
	for range 400 {
		if p.goroutines.Load() == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Errorf("%d goroutines of the processor still running", p.goroutines.Load())
}

func TestIndependentProcessors(t *testing.T) {
	a, b := newE2E(t, sentry.ClientOptions{}), newE2E(t, sentry.ClientOptions{})
	_, sa := a.tracer.Start(context.Background(), "a")
	_, sb := b.tracer.Start(context.Background(), "b")
	sa.End()
	sb.End()
	a.flush(t)
	b.flush(t)
	ta, tb := a.server.waitItems("transaction", 1), b.server.waitItems("transaction", 1)
	if len(ta) != 1 || len(tb) != 1 || ta[0].Item["transaction"] != "a" || tb[0].Item["transaction"] != "b" {
		t.Errorf("processors mixed their transactions")
	}
}

// TestConcurrentRequestsLoseNothing sends requests from 8 goroutines while
// ForceFlush races them, at a rate sentry-go's transport sustains.
func TestConcurrentRequestsLoseNothing(t *testing.T) {
	e := newE2E(t, sentry.ClientOptions{})
	const workers, perWorker = 8, 60
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perWorker {
				_, s := resetPassword(context.Background(), e.tracer)
				s.End()
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}
	stop := make(chan struct{})
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		for {
			select {
			case <-stop:
				return
			default:
				_ = e.proc.ForceFlush(context.Background())
				time.Sleep(3 * time.Millisecond)
			}
		}
	}()
	wg.Wait()
	close(stop)
	<-flushed
	e.flush(t)
	txs := e.server.waitItems("transaction", workers*perWorker)
	if len(txs) != workers*perWorker {
		t.Errorf("got %d transactions, want %d", len(txs), workers*perWorker)
	}
	for _, tx := range txs {
		if n := len(tx.Item["spans"].([]any)); n != 8 {
			t.Fatalf("a transaction has %d spans", n)
		}
	}
	if s := e.proc.Stats(); s.QueueDropped != 0 || s.Transactions != workers*perWorker {
		t.Errorf("stats %+v", s)
	}
}

func TestQueueFullDropsWithCount(t *testing.T) {
	h := newRecordingErrorHandler(t)
	hub := newTestHub(t, sentry.ClientOptions{TracesSampleRate: 1})
	p := NewSpanProcessor(WithHub(hub), WithQueueSize(1))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	for range 5000 {
		_, s := tp.Tracer("t").Start(context.Background(), "burst")
		s.End()
	}
	_ = p.ForceFlush(context.Background())
	s := p.Stats()
	if s.QueueDropped == 0 || s.QueueDropped+s.Transactions != 5000 {
		t.Errorf("stats %+v: every transaction must be sent or counted", s)
	}
	// The flush reported the drops to OTel's error handler.
	want := fmt.Sprintf("otelsentry: %d transactions dropped: the queue to the worker was full", s.QueueDropped)
	if errs := h.errors(); !slices.ContainsFunc(errs, func(err error) bool { return err.Error() == want }) {
		t.Errorf("error handler got %v, want %q", errs, want)
	}
}

// TestNeverEndedSpansBoundedMemory starts 200,000 roots, each with a child
// that never ends, and checks that the heap stays under a fixed bound.
func TestNeverEndedSpansBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	hub := newTestHub(t, sentry.ClientOptions{TracesSampleRate: 1})
	p := NewSpanProcessor(WithHub(hub), WithGracePeriod(10*time.Millisecond))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	tracer := tp.Tracer("t")

	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	for range 200_000 {
		ctx, root := tracer.Start(context.Background(), "root")
		tracer.Start(ctx, "never ends")
		root.End()
	}
	_ = p.ForceFlush(context.Background())
	grown := int64(heap()) - int64(before)
	const bound = 64 << 20
	t.Logf("heap grew by %.1f MiB for 200,000 never-ended children (cap %d)", float64(grown)/(1<<20), DefaultMaxOpenSpans)
	if grown > bound {
		t.Errorf("heap grew by %d MiB, bound %d MiB", grown>>20, bound>>20)
	}
	if s := p.Stats(); s.OpenSpansDropped < 200_000-DefaultMaxOpenSpans {
		t.Errorf("OpenSpansDropped = %d", s.OpenSpansDropped)
	}
}

func TestOpenSpanTimeout(t *testing.T) {
	hub := newTestHub(t, sentry.ClientOptions{TracesSampleRate: 1})
	p := NewSpanProcessor(WithHub(hub), WithOpenSpanTimeout(20*time.Millisecond), WithGracePeriod(time.Hour))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	ctx, root := tp.Tracer("t").Start(context.Background(), "root")
	tp.Tracer("t").Start(ctx, "never ends")
	root.End()
	deadline := time.Now().Add(5 * time.Second)
	for p.Stats().Transactions == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if s := p.Stats(); s.Transactions != 1 || s.OpenSpansDropped != 1 {
		t.Errorf("stats %+v: the held transaction must go out once its open child times out", s)
	}
}

func TestDeprecatedSentrySpanProcessor(t *testing.T) {
	p := NewSentrySpanProcessor()
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestCapturedErrorFromScopeRequest(t *testing.T) {
	e := newE2E(t, sentry.ClientOptions{})
	ctx, span := e.tracer.Start(context.Background(), "handler")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://example.test/users/1", nil)
	if err != nil {
		t.Fatal(err)
	}
	hub := e.hub.Clone()
	hub.Scope().SetRequest(req)
	hub.CaptureException(errors.New("boom"))
	span.End()
	e.flush(t)
	ev := e.server.waitItems("event", 1)[0]
	if lookup(ev.Item, "contexts.trace.span_id") != span.SpanContext().SpanID().String() {
		t.Errorf("captured error trace context %v, want span %s", lookup(ev.Item, "contexts.trace"), span.SpanContext().SpanID())
	}
}

// TestHubFromParentContext checks the hub choice without WithHub: the hub
// stored in the root span's parent context sends its transaction.
func TestHubFromParentContext(t *testing.T) {
	srv := newSentryServer(t)
	hub := srv.Hub(sentry.ClientOptions{TracesSampleRate: 1})
	p := NewSpanProcessor()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	ctx := sentry.SetHubOnContext(context.Background(), hub)
	_, span := tp.Tracer("t").Start(ctx, "from the context's hub")
	span.End()
	if err := p.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if txs := srv.waitItems("transaction", 1); txs[0].Item["transaction"] != "from the context's hub" {
		t.Errorf("transaction %v", txs[0].Item["transaction"])
	}
}

func TestInstrumentationScopeKept(t *testing.T) {
	e := newE2E(t, sentry.ClientOptions{})
	ctx, root := e.tracer.Start(context.Background(), "root", trace.WithSpanKind(trace.SpanKindServer))
	_, same := e.tracer.Start(ctx, "same scope")
	same.End()
	_, other := e.tp.Tracer("otelsql", trace.WithInstrumentationVersion("0.39.0")).Start(ctx, "other scope", trace.WithSpanKind(trace.SpanKindClient))
	other.End()
	root.End()
	e.flush(t)
	tx := e.server.waitItems("transaction", 1)[0].Item
	if lookup(tx, "contexts.trace.data.otel.scope.name") != "otelsentry/test" || lookup(tx, "contexts.trace.data.otel.kind") != "server" {
		t.Errorf("transaction data %v", lookup(tx, "contexts.trace.data"))
	}
	for _, s := range tx["spans"].([]any) {
		data := lookup(s, "data")
		switch lookup(s, "description") {
		case "same scope":
			if lookup(data, "otel.scope.name") != nil || lookup(data, "otel.kind") != "internal" {
				t.Errorf("a span of the transaction's scope repeats it: %v", data)
			}
		case "other scope":
			if lookup(data, "otel.scope.name") != "otelsql" || lookup(data, "otel.scope.version") != "0.39.0" || lookup(data, "otel.kind") != "client" {
				t.Errorf("a span of another scope lost it: %v", data)
			}
		}
	}
}

func TestEndUserAddressesNeedUserInfo(t *testing.T) {
	for _, sendPII := range []bool{false, true} {
		t.Run(fmt.Sprint("UserInfo=", sendPII), func(t *testing.T) {
			e := newE2E(t, sentry.ClientOptions{DataCollection: &sentry.DataCollection{UserInfo: sentry.Set(sendPII)}})
			_, s := e.tracer.Start(context.Background(), "GET /", trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
				attribute.String("http.request.method", "GET"), attribute.String("url.path", "/"),
				attribute.String("client.address", "203.0.113.7"), attribute.String("network.peer.address", "10.0.0.1"),
				attribute.String("user_agent.original", "curl/8")))
			s.End()
			e.flush(t)
			data := lookup(e.server.waitItems("transaction", 1)[0].Item, "contexts.trace.data")
			gotIP := lookup(data, "client.address") != nil || lookup(data, "network.peer.address") != nil
			if gotIP != sendPII || lookup(data, "user_agent.original") != "curl/8" {
				t.Errorf("data %v with UserInfo=%v", data, sendPII)
			}
		})
	}
}

// TestForgottenRoot fills the open-span cap while a root is open: the root
// is forgotten, its ended child counted as dropped, and its open child goes
// out later as a follow-up transaction.
func TestForgottenRoot(t *testing.T) {
	e := newE2E(t, sentry.ClientOptions{}, WithMaxOpenSpans(4))
	ctx, _ := e.tracer.Start(context.Background(), "never ends") // its span never ends
	_, ended := e.tracer.Start(ctx, "ended child")
	ended.End()
	_, open := e.tracer.Start(ctx, "open child")
	for range 3 {
		_, other := e.tracer.Start(context.Background(), "other")
		defer other.End()
	}
	open.End()
	e.flush(t)
	txs := e.server.waitItems("transaction", 1)
	if len(txs) != 1 || txs[0].Item["transaction"] != "open child" || lookup(txs[0].Item, "contexts.trace.data.otelsentry.follow_up") != true {
		t.Errorf("transactions %v", txs)
	}
	if s := e.proc.Stats(); s.OpenSpansDropped < 1 || s.SpansDropped != 1 {
		t.Errorf("stats %+v", s)
	}
}

// TestShutdownRacesSpans shuts the processor down while goroutines still
// start and end spans: nothing panics or races, and the worker is gone.
func TestShutdownRacesSpans(t *testing.T) {
	hub := newTestHub(t, sentry.ClientOptions{TracesSampleRate: 1})
	p := NewSpanProcessor(WithHub(hub), WithGracePeriod(time.Millisecond))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				ctx, root := tp.Tracer("t").Start(context.Background(), "root")
				_, child := tp.Tracer("t").Start(ctx, "child")
				root.End()
				child.End()
				_ = p.ForceFlush(context.Background())
			}
		}()
	}
	time.Sleep(5 * time.Millisecond)
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	select {
	case <-p.done:
	default:
		t.Error("worker still running after Shutdown")
	}
}

// TestTransactionSizeLimit records a transaction far over Sentry's 1 MB
// limit: the earliest spans that fit are sent, and the rest counted and
// reported, rather than the whole transaction being rejected.
func TestTransactionSizeLimit(t *testing.T) {
	e := newE2E(t, sentry.ClientOptions{})
	ctx, root := e.tracer.Start(context.Background(), "bulk import")
	big := strings.Repeat("x", 10_000)
	base := time.Now()
	for i := range 300 {
		_, s := e.tracer.Start(ctx, fmt.Sprintf("row-%03d", i), trace.WithTimestamp(base.Add(time.Duration(i)*time.Microsecond)),
			trace.WithAttributes(attribute.String("payload", big)))
		s.End()
	}
	root.End()
	e.flush(t)
	tx := e.server.waitItems("transaction", 1)[0].Item
	spans := tx["spans"].([]any)
	raw, err := json.Marshal(tx)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > maxTransactionBytes || len(spans) == 0 || len(spans) == 300 {
		t.Fatalf("sent %d spans in %d bytes", len(spans), len(raw))
	}
	for i, s := range spans {
		if want := fmt.Sprintf("row-%03d", i); lookup(s, "description") != want {
			t.Fatalf("span %d is %v, want the earliest spans in order", i, lookup(s, "description"))
		}
	}
	if d := e.proc.Stats().SpansDropped; d != uint64(300-len(spans)) {
		t.Errorf("SpansDropped = %d, want %d", d, 300-len(spans))
	}
	t.Logf("kept %d of 300 spans in %d KiB", len(spans), len(raw)>>10)
}

// TestHubWithoutClient checks that a hub with no client bound yet (sentry-go
// gives it its no-op client) costs no conversion and counts the drop, and
// that the transactions go out once a client is bound, as with sentry.Init
// after the TracerProvider was set up.
func TestHubWithoutClient(t *testing.T) {
	hub := sentry.NewHub(nil, sentry.NewScope())
	proc := NewSpanProcessor(WithHub(hub))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(proc))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	tracer := tp.Tracer("otelsentry/test")
	request := func() {
		ctx, root := tracer.Start(context.Background(), "GET /health", trace.WithSpanKind(trace.SpanKindServer))
		_, child := tracer.Start(ctx, "SELECT 1")
		child.End()
		root.End()
		if err := tp.ForceFlush(context.Background()); err != nil {
			t.Fatalf("ForceFlush: %v", err)
		}
	}

	request()
	if s := proc.Stats(); s.NoClient != 1 || s.Transactions != 0 {
		t.Errorf("without a client: Stats() = %+v, want NoClient 1 and no transaction", s)
	}

	srv := newSentryServer(t)
	hub.BindClient(srv.Hub(sentry.ClientOptions{TracesSampleRate: 1}).Client())
	request()
	if s := proc.Stats(); s.NoClient != 1 || s.Transactions != 1 {
		t.Errorf("with a client bound: Stats() = %+v, want NoClient 1 and 1 transaction", s)
	}
	if tx := srv.waitItems("transaction", 1)[0]; lookup(tx.Item, "transaction") != "GET /health" {
		t.Errorf("transaction = %v, want GET /health", lookup(tx.Item, "transaction"))
	}
}

// TestTraceIgnoreStatusCodes checks that the client's TraceIgnoreStatusCodes
// applies to transactions as sentry-go applies it to its own: by default a
// 404 is not sent, ranges work, and an empty list sends everything. Errors
// recorded on an ignored transaction are still sent.
func TestTraceIgnoreStatusCodes(t *testing.T) {
	cases := []struct {
		name   string
		ignore [][]int // nil: sentry-go's default, {{404}}
		status int
		sent   bool
	}{
		{"default ignores 404", nil, 404, false},
		{"default sends 403", nil, 403, true},
		{"empty list sends 404", [][]int{}, 404, true},
		{"range", [][]int{{500, 599}}, 503, false},
		{"outside the range", [][]int{{500, 599}}, 404, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newE2E(t, sentry.ClientOptions{TraceIgnoreStatusCodes: c.ignore})
			ctx, server := e.tracer.Start(context.Background(), "GET /items/{id}", trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(attribute.String("http.request.method", "GET"), attribute.String("http.route", "/items/{id}")))
			_, query := e.tracer.Start(ctx, "SELECT items")
			query.RecordError(errors.New("no such item"))
			query.End()
			server.SetAttributes(attribute.Int("http.response.status_code", c.status))
			server.End()
			e.flush(t)

			e.server.waitItems("event", 1) // the recorded error, in every case
			txs := e.server.items("transaction")
			st := e.proc.Stats()
			if c.sent {
				if len(txs) != 1 || st.StatusIgnored != 0 {
					t.Errorf("status %d: %d transactions sent, Stats() = %+v; want it sent", c.status, len(txs), st)
				}
				return
			}
			if len(txs) != 0 || st.StatusIgnored != 1 || st.Transactions != 0 {
				t.Errorf("status %d: %d transactions sent, Stats() = %+v; want it ignored and counted", c.status, len(txs), st)
			}
		})
	}
}

// TestFollowUpIgnoresNoStatus checks that TraceIgnoreStatusCodes leaves a
// follow-up transaction alone: its root is a child span (here a late HTTP
// client call that got a 404), not a request of this service.
func TestFollowUpIgnoresNoStatus(t *testing.T) {
	e := newE2E(t, sentry.ClientOptions{}, WithGracePeriod(time.Millisecond))
	ctx, root := e.tracer.Start(context.Background(), "job")
	_, call := e.tracer.Start(ctx, "GET", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("http.request.method", "GET"), attribute.String("url.full", "https://example.com/missing")))
	root.End()
	if err := e.tp.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	call.SetAttributes(attribute.Int("http.response.status_code", 404))
	call.End()
	e.flush(t)
	if txs := e.server.waitItems("transaction", 2); len(txs) != 2 {
		t.Errorf("got %d transactions, want the job and the follow-up of its late call", len(txs))
	}
}

// TestClientFiltersApply checks that the client's own transaction filters,
// IgnoreTransactions and BeforeSendTransaction, see the processor's
// transactions.
func TestClientFiltersApply(t *testing.T) {
	var seen []string
	e := newE2E(t, sentry.ClientOptions{
		IgnoreTransactions: []string{"^GET /healthz$"},
		BeforeSendTransaction: func(ev *sentry.Event, _ *sentry.EventHint) *sentry.Event {
			seen = append(seen, ev.Transaction)
			ev.Tags = map[string]string{"checked": "yes"}
			return ev
		},
	})
	for _, name := range []string{"GET /healthz", "GET /orders"} {
		_, s := e.tracer.Start(context.Background(), name, trace.WithSpanKind(trace.SpanKindServer))
		s.End()
	}
	e.flush(t)
	txs := e.server.waitItems("transaction", 1)
	if len(txs) != 1 || lookup(txs[0].Item, "transaction") != "GET /orders" || lookup(txs[0].Item, "tags.checked") != "yes" {
		t.Errorf("got %d transactions (%v), want GET /orders tagged by BeforeSendTransaction", len(txs), txs)
	}
	if len(seen) != 1 || seen[0] != "GET /orders" {
		t.Errorf("BeforeSendTransaction saw %v, want GET /orders alone", seen)
	}
}

// TestUnsampledErrors checks that with WithUnsampledErrors the exceptions
// recorded on the spans of an unsampled trace reach Sentry as error events
// linked to their spans, with no transaction, and that spans without an
// exception cost no event.
func TestUnsampledErrors(t *testing.T) {
	e := newE2E(t, sentry.ClientOptions{}, WithSampleRate(0), WithUnsampledErrors())
	ctx, root := e.tracer.Start(context.Background(), "POST /checkout", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", "POST"), attribute.String("http.route", "/checkout")))
	_, charge := e.tracer.Start(ctx, "charge card")
	charge.RecordError(&cardError{"card declined"})
	charge.End()
	_, query := e.tracer.Start(ctx, "SELECT 1")
	query.End()
	if root.SpanContext().IsSampled() || !root.IsRecording() {
		t.Fatalf("root sampled %v, recording %v: want an unsampled span that records", root.SpanContext().IsSampled(), root.IsRecording())
	}
	root.RecordError(errors.New("checkout failed"))
	root.End()
	e.flush(t)

	events := e.server.waitItems("event", 2)
	bySpan := map[any]receivedItem{}
	for _, ev := range events {
		bySpan[lookup(ev.Item, "contexts.trace.span_id")] = ev
		if got := lookup(ev.Item, "contexts.trace.trace_id"); got != root.SpanContext().TraceID().String() {
			t.Errorf("error event trace_id %v, want %s", got, root.SpanContext().TraceID())
		}
		if got := lookup(ev.Envelope["trace"], "sampled"); got != "false" {
			t.Errorf("error envelope DSC sampled = %v, want false", got)
		}
	}
	chargeEvent, ok := bySpan[charge.SpanContext().SpanID().String()]
	excs, _ := chargeEvent.Item["exception"].([]any)
	if !ok || len(excs) != 1 || lookup(excs[0], "value") != "card declined" {
		t.Errorf("no card declined event for the charge span in %v", events)
	}
	rootEvent, ok := bySpan[root.SpanContext().SpanID().String()]
	if !ok || lookup(rootEvent.Item, "transaction") != "POST /checkout" {
		t.Errorf("no event named POST /checkout for the root span in %v", events)
	}
	if txs := e.server.items("transaction"); len(txs) != 0 {
		t.Errorf("got %d transactions for an unsampled trace", len(txs))
	}
	if s := e.proc.Stats(); s.Errors != 2 || s.Transactions != 0 {
		t.Errorf("Stats() = %+v, want 2 errors and no transaction", s)
	}
}

// TestUnsampledSpansWithoutTheOption checks the default: an unsampled span
// does not record, so an error recorded on it goes nowhere and costs
// nothing.
func TestUnsampledSpansWithoutTheOption(t *testing.T) {
	e := newE2E(t, sentry.ClientOptions{}, WithSampleRate(0))
	_, root := e.tracer.Start(context.Background(), "POST /checkout")
	if root.IsRecording() {
		t.Error("an unsampled span records without WithUnsampledErrors")
	}
	root.RecordError(errors.New("checkout failed"))
	root.End()
	e.flush(t)
	if s := e.proc.Stats(); s.Errors != 0 {
		t.Errorf("Stats() = %+v, want no error event", s)
	}
}

// TestErrorsOfSpansLeftOut checks that the spans a transaction leaves out,
// past Sentry's size limit, past MaxSpans or because its status code is
// ignored, still give their error events, and that sentry-go's own uploads
// give none.
func TestErrorsOfSpansLeftOut(t *testing.T) {
	t.Run("past the size limit", func(t *testing.T) {
		e := newE2E(t, sentry.ClientOptions{})
		ctx, root := e.tracer.Start(context.Background(), "bulk import")
		big := strings.Repeat("x", 10_000)
		base := time.Now()
		for i := range 300 {
			_, s := e.tracer.Start(ctx, fmt.Sprintf("row-%03d", i), trace.WithTimestamp(base.Add(time.Duration(i)*time.Microsecond)),
				trace.WithAttributes(attribute.String("payload", big)))
			if i == 299 {
				s.RecordError(errors.New("last row rejected"))
			}
			s.End()
		}
		root.End()
		e.flush(t)
		ev := e.server.waitItems("event", 1)[0]
		excs, _ := ev.Item["exception"].([]any)
		if len(excs) != 1 || lookup(excs[0], "value") != "last row rejected" {
			t.Errorf("error event %v, want the last row's", ev.Item)
		}
		if tx := e.server.waitItems("transaction", 1)[0]; len(tx.Item["spans"].([]any)) == 300 {
			t.Fatal("the transaction kept every span: the size limit was not reached")
		}
	})
	t.Run("past MaxSpans", func(t *testing.T) {
		e := newE2E(t, sentry.ClientOptions{MaxSpans: 3})
		ctx, root := e.tracer.Start(context.Background(), "batch")
		base := time.Now()
		for i := range 6 {
			_, s := e.tracer.Start(ctx, fmt.Sprintf("item-%d", i), trace.WithTimestamp(base.Add(time.Duration(i)*time.Millisecond)))
			if i == 4 {
				s.RecordError(errors.New("item 4 failed"))
			}
			s.End()
		}
		root.End()
		e.flush(t)
		ev := e.server.waitItems("event", 1)[0]
		excs, _ := ev.Item["exception"].([]any)
		if len(excs) != 1 || lookup(excs[0], "value") != "item 4 failed" {
			t.Errorf("error event %v, want item 4's", ev.Item)
		}
		if tx := e.server.waitItems("transaction", 1)[0]; len(tx.Item["spans"].([]any)) != 3 {
			t.Fatalf("the transaction has %d spans, want MaxSpans 3", len(tx.Item["spans"].([]any)))
		}
	})
	t.Run("status code ignored", func(t *testing.T) {
		e := newE2E(t, sentry.ClientOptions{})
		host := strings.TrimPrefix(e.server.srv.URL, "http://")
		ctx, root := e.tracer.Start(context.Background(), "GET /items/{id}", trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.Int("http.response.status_code", 404)))
		_, query := e.tracer.Start(ctx, "SELECT items")
		query.RecordError(errors.New("no such item"))
		query.End()
		_, upload := e.tracer.Start(ctx, "POST", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
			attribute.String("url.full", "http://"+host+"/api/42/envelope/")))
		upload.RecordError(errors.New("upload failed"))
		upload.End()
		root.End()
		e.flush(t)
		e.server.waitItems("event", 1)
		time.Sleep(50 * time.Millisecond)
		if evs := e.server.items("event"); len(evs) != 1 || lookup(evs[0].Item, "contexts.trace.span_id") != query.SpanContext().SpanID().String() {
			t.Errorf("got %d error events, want the query's alone", len(evs))
		}
	})
}
