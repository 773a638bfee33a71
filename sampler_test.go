package otelsentry

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// shouldSample asks s about a span named name started with parent ctx.
func shouldSample(s sdktrace.Sampler, ctx context.Context, tid trace.TraceID) sdktrace.SamplingResult {
	return s.ShouldSample(sdktrace.SamplingParameters{
		ParentContext: ctx, TraceID: tid, Name: "span", Kind: trace.SpanKindServer,
		Attributes: []attribute.KeyValue{attribute.String("http.route", "/x")},
	})
}

// traceIDWithRand returns a trace id whose derived sample_rand is about r.
func traceIDWithRand(r float64) trace.TraceID {
	tid := trace.TraceID{1}
	x := uint64(r * math.Exp2(64))
	for i := range 8 {
		tid[15-i] = byte(x >> (8 * i))
	}
	return tid
}

func TestSamplerRate(t *testing.T) {
	hub := newTestHub(t, sentry.ClientOptions{TracesSampleRate: 0.25})
	tests := []struct {
		name    string
		opts    []Option
		rand    float64
		sampled bool
	}{
		{name: "client rate, below", rand: 0.2499, sampled: true},
		{name: "client rate, at the rate is not sampled", rand: 0.25, sampled: false},
		{name: "client rate, above", rand: 0.9, sampled: false},
		{name: "override", opts: []Option{WithSampleRate(0.5)}, rand: 0.4, sampled: true},
		{name: "rate 0 never samples", opts: []Option{WithSampleRate(0)}, rand: 0, sampled: false},
		{name: "rate 1 always samples", opts: []Option{WithSampleRate(1)}, rand: 0.999999, sampled: true},
		{name: "rate above 1 is clamped", opts: []Option{WithSampleRate(7)}, rand: 0.999999, sampled: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSampler(append([]Option{WithHub(hub)}, tt.opts...)...)
			res := shouldSample(s, context.Background(), traceIDWithRand(tt.rand))
			if got := res.Decision == sdktrace.RecordAndSample; got != tt.sampled {
				t.Errorf("sampled = %v, want %v", got, tt.sampled)
			}
		})
	}
	t.Run("no client samples nothing", func(t *testing.T) {
		s := NewSampler(WithHub(sentry.NewHub(nil, sentry.NewScope())))
		if res := shouldSample(s, context.Background(), traceIDWithRand(0)); res.Decision != sdktrace.Drop {
			t.Error("sampled without a client")
		}
	})
}

func TestSamplerParentDecision(t *testing.T) {
	hub := newTestHub(t, sentry.ClientOptions{TracesSampleRate: 0.25})
	s := NewSampler(WithHub(hub))
	p := NewPropagator(WithHub(hub))
	extract := func(h propagation.MapCarrier) context.Context { return p.Extract(context.Background(), h) }
	highRand := traceIDWithRand(0.9) // would not be sampled on its own
	lowRand := traceIDWithRand(0.1)  // would be sampled on its own

	tests := []struct {
		name    string
		ctx     context.Context
		tid     trace.TraceID
		sampled bool
	}{
		{name: "sentry-trace -1 wins over the rate", ctx: extract(propagation.MapCarrier{sentryTraceHeader: highRand.String() + "-" + goldenSpanHex + "-1"}), tid: highRand, sampled: true},
		{name: "sentry-trace -0 wins over the rate", ctx: extract(propagation.MapCarrier{sentryTraceHeader: lowRand.String() + "-" + goldenSpanHex + "-0"}), tid: lowRand, sampled: false},
		{name: "deferred uses the incoming sample_rand, below", ctx: extract(propagation.MapCarrier{sentryTraceHeader: highRand.String() + "-" + goldenSpanHex, baggageHeader: "sentry-sample_rand=0.1,sentry-sample_rate=1"}), tid: highRand, sampled: true},
		{name: "deferred uses the incoming sample_rand, above", ctx: extract(propagation.MapCarrier{sentryTraceHeader: lowRand.String() + "-" + goldenSpanHex, baggageHeader: "sentry-sample_rand=0.3,sentry-sample_rate=1"}), tid: lowRand, sampled: false},
		{name: "deferred without sample_rand draws from the trace id", ctx: extract(propagation.MapCarrier{sentryTraceHeader: lowRand.String() + "-" + goldenSpanHex}), tid: lowRand, sampled: true},
		{name: "traceparent sampled flag", ctx: (propagation.TraceContext{}).Extract(context.Background(), propagation.MapCarrier{"traceparent": "00-" + highRand.String() + "-" + goldenSpanHex + "-01"}), tid: highRand, sampled: true},
		{name: "traceparent not-sampled flag", ctx: (propagation.TraceContext{}).Extract(context.Background(), propagation.MapCarrier{"traceparent": "00-" + lowRand.String() + "-" + goldenSpanHex + "-00"}), tid: lowRand, sampled: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := shouldSample(s, tt.ctx, tt.tid)
			if got := res.Decision == sdktrace.RecordAndSample; got != tt.sampled {
				t.Errorf("sampled = %v, want %v", got, tt.sampled)
			}
		})
	}
	t.Run("local children follow their parent", func(t *testing.T) {
		for _, flags := range []trace.TraceFlags{0, trace.FlagsSampled} {
			psc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: lowRand, SpanID: goldenSpanID, TraceFlags: flags})
			res := shouldSample(s, trace.ContextWithSpanContext(context.Background(), psc), lowRand)
			if got := res.Decision == sdktrace.RecordAndSample; got != psc.IsSampled() {
				t.Errorf("child of %v: sampled = %v", flags, got)
			}
		}
	})
}

func TestTracesSampler(t *testing.T) {
	hub := newTestHub(t, sentry.ClientOptions{TracesSampleRate: 0.25})
	var seen []SamplingContext
	s := NewSampler(WithHub(hub), WithTracesSampler(func(sc SamplingContext) float64 {
		seen = append(seen, sc)
		if strings.HasPrefix(sc.Name, "health") {
			return 0
		}
		return 1
	}))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(s))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	tracer := tp.Tracer("t")

	ctx, root := tracer.Start(context.Background(), "checkout", trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attribute.String("http.route", "/checkout")))
	_, child := tracer.Start(ctx, "child")
	_, health := tracer.Start(context.Background(), "health check")
	if !root.SpanContext().IsSampled() || !child.SpanContext().IsSampled() || health.SpanContext().IsSampled() {
		t.Errorf("decisions: root %v child %v health %v", root.SpanContext().IsSampled(), child.SpanContext().IsSampled(), health.SpanContext().IsSampled())
	}
	if len(seen) != 2 {
		t.Fatalf("called %d times, want 2 (roots only)", len(seen))
	}
	if sc := seen[0]; sc.Name != "checkout" || sc.Kind != trace.SpanKindServer || len(sc.Attributes) != 1 || sc.ParentSampled != nil || sc.TraceID != root.SpanContext().TraceID() {
		t.Errorf("sampling context %+v", sc)
	}

	// The callback's rate, not the client's, goes into the head DSC.
	out := propagation.MapCarrier{}
	NewPropagator(WithHub(hub)).Inject(ctx, out)
	d, _ := parseDSC(out[baggageHeader])
	if r, _ := d.Get("sample_rate"); r != "1" {
		t.Errorf("head DSC sample_rate = %q, want the TracesSampler's 1", r)
	}

	t.Run("sees and overrides the parent's decision", func(t *testing.T) {
		seen = nil
		pctx := NewPropagator(WithHub(hub)).Extract(context.Background(), propagation.MapCarrier{sentryTraceHeader: frontendSentryTrace[:len(frontendSentryTrace)-1] + "0"})
		_, span := tracer.Start(pctx, "continued")
		if len(seen) != 1 || seen[0].ParentSampled == nil || *seen[0].ParentSampled {
			t.Fatalf("parent decision not passed: %+v", seen)
		}
		if !span.SpanContext().IsSampled() {
			t.Error("the callback's rate 1 did not override the parent's -0")
		}
	})
}

// TestSamplingConsistency starts 4,000 roots at rate 0.25 and reads every
// decision back from what the propagator sends downstream.
func TestSamplingConsistency(t *testing.T) {
	hub := newTestHub(t, sentry.ClientOptions{TracesSampleRate: 0.25})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(NewSampler(WithHub(hub))))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	p := NewPropagator(WithHub(hub))
	const roots = 4000
	kept := 0
	for range roots {
		ctx, span := tp.Tracer("t").Start(context.Background(), "root")
		out := propagation.MapCarrier{}
		p.Inject(ctx, out)
		span.End()
		sampled := span.SpanContext().IsSampled()
		if sampled {
			kept++
		}
		d, err := parseDSC(out[baggageHeader])
		if err != nil {
			t.Fatal(err)
		}
		randText, _ := d.Get("sample_rand")
		r, ok := parseRand(randText)
		rate, _ := d.Get("sample_rate")
		flag, _ := d.Get("sampled")
		if !ok || rate != "0.25" || (r < 0.25) != sampled || flag != map[bool]string{true: "true", false: "false"}[sampled] {
			t.Fatalf("sampled %v but DSC %v", sampled, dscPairs(d))
		}
		wantHeader := "-0"
		if sampled {
			wantHeader = "-1"
		} else if span.IsRecording() {
			t.Fatal("an unsampled span records")
		}
		if !strings.HasSuffix(out[sentryTraceHeader], wantHeader) {
			t.Fatalf("sentry-trace %q for sampled=%v", out[sentryTraceHeader], sampled)
		}
	}
	if frac := float64(kept) / roots; frac < 0.22 || frac > 0.28 {
		t.Errorf("kept %.3f of roots, want 0.25 ± 0.03", frac)
	}
}

// TestSamplerEndToEnd checks that exactly the sampled traces reach Sentry,
// with a DSC that agrees with the decision.
func TestSamplerEndToEnd(t *testing.T) {
	e := newE2E(t, sentry.ClientOptions{TracesSampleRate: 0.25})
	sampled := 0
	for range 200 {
		ctx, root := e.tracer.Start(context.Background(), "root")
		_, child := e.tracer.Start(ctx, "child")
		child.End()
		root.End()
		if root.SpanContext().IsSampled() {
			sampled++
		}
	}
	e.flush(t)
	txs := e.server.waitItems("transaction", sampled)
	if len(txs) != sampled || sampled == 0 {
		t.Fatalf("got %d transactions for %d sampled roots", len(txs), sampled)
	}
	for _, tx := range txs {
		r, ok := parseRand(str(lookup(tx.Envelope["trace"], "sample_rand")))
		if !ok || r >= 0.25 || lookup(tx.Envelope["trace"], "sampled") != "true" || lookup(tx.Envelope["trace"], "sample_rate") != "0.25" {
			t.Errorf("envelope DSC %v", tx.Envelope["trace"])
		}
	}
}

// TestOwnOTelSampler covers users who keep their own sampler: the processor
// sends exactly the sampled spans and the propagator passes the decision on
// with a sample_rand that agrees with it.
func TestOwnOTelSampler(t *testing.T) {
	srv := newSentryServer(t)
	hub := srv.Hub(sentry.ClientOptions{TracesSampleRate: 0.5})
	proc := NewSpanProcessor(WithHub(hub))
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.5))),
		sdktrace.WithSpanProcessor(proc),
	)
	defer func() { _ = tp.Shutdown(context.Background()) }()
	p := NewPropagator(WithHub(hub))
	sampled := 0
	for range 200 {
		ctx, root := tp.Tracer("t").Start(context.Background(), "root")
		out := propagation.MapCarrier{}
		p.Inject(ctx, out)
		root.End()
		d, _ := parseDSC(out[baggageHeader])
		r, _ := d.Get("sample_rand")
		rv, _ := parseRand(r)
		if s := root.SpanContext().IsSampled(); s {
			sampled++
			if !strings.HasSuffix(out[sentryTraceHeader], "-1") || rv >= 0.5 {
				t.Fatalf("sampled root sent %q with sample_rand %s", out[sentryTraceHeader], r)
			}
		} else if !strings.HasSuffix(out[sentryTraceHeader], "-0") || rv < 0.5 {
			t.Fatalf("unsampled root sent %q with sample_rand %s", out[sentryTraceHeader], r)
		}
	}
	if err := proc.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := len(srv.waitItems("transaction", sampled)); got != sampled {
		t.Errorf("got %d transactions for %d sampled roots", got, sampled)
	}
}

func TestSamplerDescription(t *testing.T) {
	for _, tt := range []struct {
		opts []Option
		want string
	}{
		{nil, "otelsentry.Sampler{rate=client}"},
		{[]Option{WithSampleRate(0.5)}, "otelsentry.Sampler{rate=0.5}"},
		{[]Option{WithUnsampledErrors()}, "otelsentry.Sampler{rate=client,unsampled=record}"},
	} {
		if d := NewSampler(tt.opts...).Description(); d != tt.want {
			t.Errorf("Description = %q, want %q", d, tt.want)
		}
	}
}

func TestSamplerHubFromContext(t *testing.T) {
	hub := newTestHub(t, sentry.ClientOptions{TracesSampleRate: 1})
	s := NewSampler() // no WithHub: the hub in the parent context decides
	ctx := sentry.SetHubOnContext(context.Background(), hub)
	if res := shouldSample(s, ctx, traceIDWithRand(0.99)); res.Decision != sdktrace.RecordAndSample {
		t.Error("the rate of the hub in the context was not used")
	}
}

// TestSamplerClientTracingOff checks that a client with EnableTracing false
// turns sampling off, as it does for sentry-go's own transactions, unless
// the sampler is given a rate or a callback of its own; and that the head
// DSC agrees with the decision.
func TestSamplerClientTracingOff(t *testing.T) {
	hub := newTracingOffHub(t, 1)
	remoteSampled := NewPropagator(WithHub(hub)).Extract(context.Background(),
		propagation.MapCarrier{sentryTraceHeader: frontendSentryTrace})
	localSampled := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled,
	}))
	always := func(SamplingContext) float64 { return 1 }
	tests := []struct {
		name    string
		opts    []Option
		ctx     context.Context
		sampled bool
	}{
		{"new trace", nil, context.Background(), false},
		{"sampled remote parent", nil, remoteSampled, false},
		{"sampled local parent: the root decided", nil, localSampled, true},
		{"WithSampleRate turns it on", []Option{WithSampleRate(1)}, context.Background(), true},
		{"WithTracesSampler turns it on", []Option{WithTracesSampler(always)}, context.Background(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSampler(append([]Option{WithHub(hub)}, tt.opts...)...)
			res := shouldSample(s, tt.ctx, traceIDWithRand(0))
			if got := res.Decision == sdktrace.RecordAndSample; got != tt.sampled {
				t.Errorf("sampled = %v, want %v", got, tt.sampled)
			}
		})
	}
	// The head DSC of a trace that starts here agrees with the decision:
	// rate 0 when this sampler dropped it for the client, the client's
	// TracesSampleRate when another sampler sampled it.
	headDSC := []struct {
		name    string
		sampler sdktrace.Sampler
		rate    string
		sampled string
	}{
		{"dropped here", NewSampler(WithHub(hub)), "0", "false"},
		{"sampled by another sampler", sdktrace.AlwaysSample(), "1", "true"},
	}
	for _, h := range headDSC {
		t.Run("head DSC, "+h.name, func(t *testing.T) {
			tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(h.sampler))
			ctx, span := tp.Tracer("t").Start(context.Background(), "GET /orders")
			defer span.End()
			carrier := propagation.MapCarrier{}
			NewPropagator(WithHub(hub)).Inject(ctx, carrier)
			dsc, _ := parseDSC(carrier[baggageHeader])
			rate, _ := dsc.Get("sample_rate")
			sampled, _ := dsc.Get("sampled")
			if rate != h.rate || sampled != h.sampled {
				t.Errorf("head DSC sample_rate %q, sampled %q; want %q, %q (baggage %q)",
					rate, sampled, h.rate, h.sampled, carrier[baggageHeader])
			}
		})
	}
}

// TestSamplerWarnsTracingOff checks that a client with a TracesSampleRate and
// EnableTracing false is reported, once, to OTel's error handler.
func TestSamplerWarnsTracingOff(t *testing.T) {
	h := newRecordingErrorHandler(t)

	s := NewSampler(WithHub(newTracingOffHub(t, 0.5)))
	for range 3 {
		shouldSample(s, context.Background(), traceIDWithRand(0))
	}
	if got := h.errors(); len(got) != 1 || !errors.Is(got[0], errTracingOff) {
		t.Errorf("error handler got %v, want errTracingOff once", got)
	}
}
