package otelsentry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// The encoder oracle: the same spans go both ways, through this package's
// encoder and through sentry-go's client and scope (the path a client with
// BeforeSendTransaction takes), and the parsed payloads must be equal. The
// differences allowed are listed in allowedDifferences and the README.

// allowedDifferences are the payload members that may differ between the
// two ways, with the reason.
var allowedDifferences = map[string]string{
	"event_id":                        "a new random id per event",
	"contexts.runtime.go_numroutines": "read when the event is made",
	"contexts.runtime.go_numcgocalls": "read when the event is made",
}

// captureTransport is a sentry-go Transport that keeps the JSON of each
// event it is given, encoded as sentry-go's default transport encodes it:
// the sentry-go side of the oracle.
type captureTransport struct {
	mu     sync.Mutex
	events [][]byte
}

func (c *captureTransport) Configure(sentry.ClientOptions) {}
func (c *captureTransport) SendEvent(ev *sentry.Event) {
	ev.MakeSerializationSafe() // as sentry-go's default transport does
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	c.mu.Lock()
	c.events = append(c.events, b)
	c.mu.Unlock()
}
func (c *captureTransport) Flush(time.Duration) bool              { return true }
func (c *captureTransport) FlushWithContext(context.Context) bool { return true }
func (c *captureTransport) Close()                                {}

// oracleCase is one transaction for the oracle.
type oracleCase struct {
	opts     sentry.ClientOptions
	scope    func(*sentry.Scope)
	root     sdktrace.ReadOnlySpan
	children []sdktrace.ReadOnlySpan
	followUp bool
}

// oracleSegment builds the segment of c for hub.
func oracleSegment(c *oracleCase, hub *sentry.Hub, maxSpans int) *segment {
	seg := newSegmentOf(c.root.SpanContext().SpanID(), hub, nil, maxSpans, c.followUp)
	seg.root = c.root
	for _, ch := range c.children {
		seg.addChild(ch)
	}
	return seg
}

func oracleClient(t testing.TB, c *oracleCase, transport sentry.Transport) *sentry.Hub {
	t.Helper()
	opts := c.opts
	opts.Dsn = testDSN
	opts.EnableTracing = true
	opts.TracesSampleRate = 1
	opts.Transport = transport
	cl, err := sentry.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	hub := sentry.NewHub(cl, sentry.NewScope())
	if c.scope != nil {
		c.scope(hub.Scope())
	}
	return hub
}

// bothWays returns the transaction payload of c as this package encodes it
// and as sentry-go sends it, parsed.
func bothWays(t testing.TB, c *oracleCase) (direct, viaSentryGo map[string]any) {
	t.Helper()
	dHub := oracleClient(t, c, nil)
	dp := &SpanProcessor{clients: new(clientCache)}
	dInfo := dp.clients.info(dHub.Client())
	tx, ok, _ := dp.encodeDirect(oracleSegment(c, dHub, dInfo.maxSpans), dInfo, envelopeDSC{}, time.Now())
	if ok {
		lines := bytes.SplitN(tx.envelope, []byte("\n"), 3)
		if err := json.Unmarshal(lines[2], &direct); err != nil {
			t.Fatalf("direct payload: %v\n%s", err, lines[2])
		}
	}

	capture := &captureTransport{}
	rHub := oracleClient(t, c, capture)
	rp := &SpanProcessor{clients: new(clientCache), placeholder: &sentry.Span{}}
	rInfo := rp.clients.info(rHub.Client())
	seg := oracleSegment(c, rHub, rInfo.maxSpans)
	ev, _ := rp.transactionOf(seg, rInfo)
	if ev != nil {
		rHub.Client().CaptureEvent(ev, nil, rp.scopeFor(seg, DynamicSamplingContext{}))
	}
	if len(capture.events) > 0 {
		if err := json.Unmarshal(capture.events[0], &viaSentryGo); err != nil {
			t.Fatal(err)
		}
	}
	return direct, viaSentryGo
}

// diffPayloads returns the differences between two parsed payloads, but for
// those allowed.
func diffPayloads(direct, viaSentryGo map[string]any) []string {
	var out []string
	var walk func(path string, a, b any)
	walk = func(path string, a, b any) {
		if _, ok := allowedDifferences[path]; ok {
			return
		}
		am, aok := a.(map[string]any)
		bm, bok := b.(map[string]any)
		if aok && bok {
			keys := map[string]bool{}
			for k := range am {
				keys[k] = true
			}
			for k := range bm {
				keys[k] = true
			}
			sorted := make([]string, 0, len(keys))
			for k := range keys {
				sorted = append(sorted, k)
			}
			sort.Strings(sorted)
			for _, k := range sorted {
				p := k
				if path != "" {
					p = path + "." + k
				}
				walk(p, am[k], bm[k])
			}
			return
		}
		as, aok := a.([]any)
		bs, bok := b.([]any)
		if aok && bok && len(as) == len(bs) {
			for i := range as {
				walk(fmt.Sprintf("%s[%d]", path, i), as[i], bs[i])
			}
			return
		}
		if sa, ok := a.(string); ok {
			if sb, ok := b.(string); ok && sameTime(sa, sb) {
				return
			}
		}
		if !reflect.DeepEqual(a, b) {
			out = append(out, fmt.Sprintf("%s: direct %#v, sentry-go %#v", path, a, b))
		}
	}
	walk("", direct, viaSentryGo)
	return out
}

// sameTime reports whether two strings are the same instant in RFC 3339:
// sentry-go writes times in their own zone, the encoder in UTC.
func sameTime(a, b string) bool {
	ta, err1 := time.Parse(time.RFC3339Nano, a)
	tb, err2 := time.Parse(time.RFC3339Nano, b)
	return err1 == nil && err2 == nil && ta.Equal(tb)
}

var (
	oracleTraceID = trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	oracleStart   = time.Date(2026, 11, 30, 12, 0, 0, 123456789, time.UTC)
	oracleRes     = resource.NewSchemaless(attribute.String("service.name", "accounts"), attribute.Int("pid", 42))
)

// restamp gives a corpus span the ids, times and resource of a span of one
// transaction: the root when n is 0, else its n-th child.
func restamp(s sdktrace.ReadOnlySpan, n int) sdktrace.ReadOnlySpan {
	stub := tracetest.SpanStubFromReadOnlySpan(s)
	stub.SpanContext = trace.NewSpanContext(trace.SpanContextConfig{TraceID: oracleTraceID, SpanID: trace.SpanID{0, 0, 0, 0, 0, 0, byte(n >> 8), byte(n + 1)}, TraceFlags: trace.FlagsSampled})
	if n > 0 {
		stub.Parent = trace.NewSpanContext(trace.SpanContextConfig{TraceID: oracleTraceID, SpanID: trace.SpanID{0, 0, 0, 0, 0, 0, 0, 1}, TraceFlags: trace.FlagsSampled})
	} else {
		stub.Parent = trace.NewSpanContext(trace.SpanContextConfig{TraceID: oracleTraceID, SpanID: trace.SpanID{9, 9, 9, 9, 9, 9, 9, 9}, Remote: true})
	}
	stub.StartTime = oracleStart.Add(time.Duration(n) * time.Millisecond)
	stub.EndTime = stub.StartTime.Add(time.Duration(n+1) * 1500 * time.Microsecond)
	stub.Resource = oracleRes
	return stub.Snapshot()
}

// corpus returns every span of the mapping, status and data tests.
func corpus() []sdktrace.ReadOnlySpan {
	var spans []sdktrace.ReadOnlySpan
	for _, c := range mapSpanCases {
		spans = append(spans, c.span)
	}
	for _, c := range statusCases {
		spans = append(spans, c.span)
	}
	for _, c := range spanDataCases {
		spans = append(spans, c.span)
	}
	return spans
}

func rootSpan(attrs ...attribute.KeyValue) sdktrace.ReadOnlySpan {
	return restamp(tracetest.SpanStub{
		Name: "POST /users/reset-password", SpanKind: trace.SpanKindServer,
		InstrumentationScope: instrumentation.Scope{Name: "otelgin", Version: "0.65.0"},
		Attributes: append([]attribute.KeyValue{
			attribute.String("http.request.method", "POST"), attribute.String("http.route", "/users/reset-password"),
			attribute.Int("http.response.status_code", 200),
		}, attrs...),
	}.Snapshot(), 0)
}

// richScope sets every part of a scope that reaches a transaction.
func richScope(s *sentry.Scope) {
	s.SetTag("tenant", "acme")
	s.SetTag("region", "eu")
	s.SetUser(sentry.User{ID: "42", Email: "a@example.com", Data: map[string]string{"plan": "pro"}})
	s.SetContext("app", sentry.Context{"build": 7, "flags": []string{"a", "b"}})
	s.SetContext("runtime", sentry.Context{"gc": "on"})
	s.SetLevel(sentry.LevelWarning)
	s.SetFingerprint([]string{"{{ default }}", "reset"})
	req, _ := http.NewRequest(http.MethodPost, "https://api.example.com/users/reset-password?token=secret&page=1", nil)
	req.Header.Set("Authorization", "Bearer x")
	req.Header.Set("User-Agent", "curl/8")
	s.SetRequest(req)
}

// TestEncoderOracle sends every span of the test corpus both ways, as the
// root of a transaction and as a child span, under several client and scope
// settings, and compares what Sentry would receive.
func TestEncoderOracle(t *testing.T) {
	spans := corpus()
	children := make([]sdktrace.ReadOnlySpan, len(spans))
	for i, s := range spans {
		children[i] = restamp(s, i+1)
	}
	settings := []struct {
		name  string
		opts  sentry.ClientOptions
		scope func(*sentry.Scope)
	}{
		{name: "defaults", opts: sentry.ClientOptions{}},
		{name: "client options", opts: sentry.ClientOptions{
			Release: "api@1.2.3", Environment: "production", Dist: "42", ServerName: "api-7",
			Tags: map[string]string{"team": "accounts", "region": "us"}, SendDefaultPII: true,
		}},
		{name: "rich scope", opts: sentry.ClientOptions{Tags: map[string]string{"region": "us"}}, scope: richScope},
		{name: "MaxSpans", opts: sentry.ClientOptions{MaxSpans: 5}},
	}
	for _, st := range settings {
		t.Run(st.name, func(t *testing.T) {
			t.Run("as children", func(t *testing.T) {
				c := &oracleCase{opts: st.opts, scope: st.scope, root: rootSpan(), children: children}
				compareBothWays(t, c)
			})
			t.Run("follow-up", func(t *testing.T) {
				c := &oracleCase{opts: st.opts, scope: st.scope, root: restamp(spans[0], 1), children: children[:3], followUp: true}
				compareBothWays(t, c)
			})
			for i, s := range spans {
				c := &oracleCase{opts: st.opts, scope: st.scope, root: restamp(s, 0)}
				direct, ref := bothWays(t, c)
				if d := diffPayloads(direct, ref); len(d) > 0 {
					t.Errorf("corpus span %d (%s) as root:\n%s", i, s.Name(), strings.Join(d, "\n"))
				}
			}
		})
	}
}

func compareBothWays(t *testing.T, c *oracleCase) {
	t.Helper()
	direct, ref := bothWays(t, c)
	if direct == nil || ref == nil {
		t.Fatalf("a side sent nothing: direct %v, sentry-go %v", direct != nil, ref != nil)
	}
	if d := diffPayloads(direct, ref); len(d) > 0 {
		t.Errorf("payloads differ:\n%s", strings.Join(d, "\n"))
	}
}

// TestEncoderOracleLinksAndEdges covers what the corpus lacks: links,
// attributes that clash with the keys the mapping sets, empty values and
// strings JSON must escape.
func TestEncoderOracleLinksAndEdges(t *testing.T) {
	link := sdktrace.Link{
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled}),
		Attributes:  []attribute.KeyValue{attribute.String("k", "v")},
	}
	bad := sdktrace.Link{} // invalid: left out
	stub := func(name string, attrs ...attribute.KeyValue) tracetest.SpanStub {
		return tracetest.SpanStub{Name: name, SpanKind: trace.SpanKindInternal, Attributes: attrs,
			InstrumentationScope: instrumentation.Scope{Name: "otelgin", Version: "0.65.0"}}
	}
	withLinks := stub("linked", attribute.String("links", "mine"), attribute.String("otel.kind", "mine"))
	withLinks.Links = []sdktrace.Link{bad, link}
	onlyBad := stub("only invalid links", attribute.String("links", "kept"))
	onlyBad.Links = []sdktrace.Link{bad}
	rootStub := tracetest.SpanStubFromReadOnlySpan(rootSpan(attribute.String("otelsentry.follow_up", "mine")))
	rootStub.Links = []sdktrace.Link{link}
	rootStub.Status = sdktrace.Status{Code: codes.Error, Description: "boom"}
	children := []sdktrace.ReadOnlySpan{
		restamp(withLinks.Snapshot(), 1),
		restamp(onlyBad.Snapshot(), 2),
		restamp(stub("escapes \"\\\n\t\x01\u2028<>&\xff", attribute.String("s\xfe", "\x00\"\u2029"), attribute.String("empty", ""),
			attribute.Float64("nan", nan()), attribute.Float64Slice("fs", []float64{1, nan()}), attribute.Float64("big", 1e300),
			attribute.Float64("tiny", 5e-324), attribute.Float64("neg", -0.5), attribute.Int64("max", 1<<62),
			attribute.String("otel.scope.name", "mine"), attribute.String("long", strings.Repeat("é", 5000))).Snapshot(), 3),
		restamp(tracetest.SpanStub{Name: "no scope", Attributes: []attribute.KeyValue{attribute.String("otel.scope.name", "kept")}}.Snapshot(), 4),
	}
	compareBothWays(t, &oracleCase{root: rootStub.Snapshot(), children: children})
	compareBothWays(t, &oracleCase{root: rootStub.Snapshot(), children: children, followUp: true})
}

// TestEncoderOracleInsightAliases sends spans that record insight values
// only under older semantic-convention keys both ways: the encoder and
// sentry-go's path copy the same values under the same keys.
func TestEncoderOracleInsightAliases(t *testing.T) {
	stub := func(name string, kind trace.SpanKind, attrs ...attribute.KeyValue) sdktrace.ReadOnlySpan {
		return tracetest.SpanStub{Name: name, SpanKind: kind, Attributes: attrs,
			InstrumentationScope: instrumentation.Scope{Name: "otelsentry-test"}}.Snapshot()
	}
	children := []sdktrace.ReadOnlySpan{
		restamp(stub("publish", trace.SpanKindProducer, attribute.String("messaging.system", "rabbitmq"),
			attribute.String("messaging.destination", "mail"), attribute.String("messaging.message_id", "m1"),
			attribute.Int("messaging.message_payload_size_bytes", 12)), 1),
		restamp(stub("publish newer", trace.SpanKindProducer, attribute.String("messaging.system", "rabbitmq"),
			attribute.String("messaging.destination.name", "kept"), attribute.String("messaging.destination", "mail"),
			attribute.Int("messaging.message.payload_size_bytes", 7), attribute.Int("messaging.message_payload_size_bytes", 12)), 2),
		restamp(stub("not messaging", trace.SpanKindProducer, attribute.String("messaging.destination", "mail")), 3),
		restamp(stub("GET", trace.SpanKindClient, attribute.Int("http.status_code", 503)), 4),
		restamp(stub("GET internal", trace.SpanKindInternal, attribute.Int("http.status_code", 503)), 5),
		restamp(stub("SELECT", trace.SpanKindClient, attribute.String("db.system.name", "postgresql")), 6),
	}
	compareBothWays(t, &oracleCase{root: rootSpan(), children: children})
}

// FuzzEncoderOracle sends a transaction with random attributes both ways.
func FuzzEncoderOracle(f *testing.F) {
	f.Add("http.route", "/users/{id}", int64(7), 1.5, true, "db.query.text", "SELECT 1")
	f.Add("url.full", "https://u:p@h/x?token=1", int64(-1), math.Copysign(0, -1), false, "user.email", "a@b")
	f.Add("\xff", "\x00", int64(0), 1e308, true, "", "")
	f.Fuzz(func(t *testing.T, k1, v1 string, i int64, fl float64, b bool, k2, v2 string) {
		attrs := []attribute.KeyValue{
			attribute.String(k1, v1), attribute.Int64(k1+".i", i), attribute.Float64(k2+".f", fl),
			attribute.Bool("b", b), attribute.StringSlice(k2, []string{v1, v2}),
			attribute.Float64Slice("fs", []float64{fl}), attribute.Int64Slice("is", []int64{i}),
		}
		child := restamp(tracetest.SpanStub{Name: v2, SpanKind: trace.SpanKind(i & 7), Attributes: attrs}.Snapshot(), 1)
		root := restamp(tracetest.SpanStub{Name: v1, SpanKind: trace.SpanKindServer, Attributes: attrs}.Snapshot(), 0)
		direct, ref := bothWays(t, &oracleCase{root: root, children: []sdktrace.ReadOnlySpan{child}})
		if d := diffPayloads(direct, ref); len(d) > 0 {
			t.Fatalf("payloads differ:\n%s", strings.Join(d, "\n"))
		}
	})
}

func nan() float64 { var z float64; return z / z }

// TestEnvelopeOracle sends one request's spans through two processors of
// one TracerProvider, over HTTP to two loopback Sentries: one sends the
// transaction itself, the other through sentry-go (a client with a
// BeforeSendTransaction). The envelope headers and payloads must match,
// but for ids, send times and the DSN's port.
func TestEnvelopeOracle(t *testing.T) {
	direct, exact := newSentryServer(t), newSentryServer(t)
	opts := sentry.ClientOptions{EnableTracing: true, TracesSampleRate: 1, Release: "api@1.0", Environment: "prod"}
	dHub := direct.Hub(opts)
	opts.BeforeSendTransaction = func(ev *sentry.Event, _ *sentry.EventHint) *sentry.Event { return ev }
	eHub := exact.Hub(opts)
	dProc, eProc := NewSpanProcessor(WithHub(dHub)), NewSpanProcessor(WithHub(eHub))
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(NewSampler(WithHub(dHub))),
		sdktrace.WithSpanProcessor(dProc), sdktrace.WithSpanProcessor(eProc),
		sdktrace.WithResource(oracleRes),
	)
	defer func() { _ = tp.Shutdown(context.Background()) }()
	for _, incoming := range []bool{false, true} {
		ctx := context.Background()
		if incoming {
			ctx = NewPropagator(WithHub(dHub)).Extract(ctx, propagation.MapCarrier{sentryTraceHeader: frontendSentryTrace, baggageHeader: frontendBaggage})
		}
		ctx, root := tp.Tracer("otelgin").Start(ctx, "POST /users/reset-password", trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", "POST"), attribute.String("http.route", "/users/reset-password")))
		_, db := tp.Tracer("otelsql").Start(ctx, "SELECT", trace.WithAttributes(attribute.String("db.system.name", "sqlite"), attribute.String("db.query.text", "SELECT 1")))
		db.End()
		root.End()
	}
	for _, p := range []*SpanProcessor{dProc, eProc} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := p.ForceFlush(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
	}
	dItems, eItems := direct.waitItems("transaction", 2), exact.waitItems("transaction", 2)
	// of returns the transaction that continued the incoming trace, or the
	// other one.
	of := func(items []receivedItem, incoming bool) receivedItem {
		for _, it := range items {
			if (lookup(it.Item, "contexts.trace.trace_id") == goldenTraceHex) == incoming {
				return it
			}
		}
		t.Fatalf("no transaction with incoming=%v", incoming)
		return receivedItem{}
	}
	for _, incoming := range []bool{false, true} {
		d, e := of(dItems, incoming), of(eItems, incoming)
		for _, h := range []map[string]any{d.Envelope, e.Envelope} {
			delete(h, "event_id")
			delete(h, "sent_at")
			h["dsn"] = strings.Split(str(h["dsn"]), "@")[0]
		}
		if diff := diffPayloads(d.Envelope, e.Envelope); len(diff) > 0 {
			t.Errorf("envelope headers differ:\n%s", strings.Join(diff, "\n"))
		}
		if diff := diffPayloads(d.Item, e.Item); len(diff) > 0 {
			t.Errorf("payloads differ:\n%s", strings.Join(diff, "\n"))
		}
	}
}
