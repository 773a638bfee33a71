package otelsentry

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

func dscPairs(d DynamicSamplingContext) [][2]string {
	var out [][2]string
	for k, v := range d.All() {
		out = append(out, [2]string{k, v})
	}
	return out
}

func equalPairs(a, b [][2]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParseSentryTrace(t *testing.T) {
	for _, v := range sentryTraceVectors {
		t.Run(v.name, func(t *testing.T) {
			tid, sid, d, err := parseSentryTrace(v.header)
			if !errors.Is(err, v.err) {
				t.Fatalf("error = %v, want %v", err, v.err)
			}
			if err != nil {
				return
			}
			if tid != v.traceID || sid != v.spanID || d != v.decision {
				t.Errorf("got %s %s %d, want %s %s %d", tid, sid, d, v.traceID, v.spanID, v.decision)
			}
		})
	}
}

func TestExtract(t *testing.T) {
	p := NewPropagator(WithHub(newTestHub(t, sentry.ClientOptions{})))
	for _, v := range sentryTraceVectors {
		if v.err != nil {
			continue
		}
		t.Run(v.name, func(t *testing.T) {
			carrier := propagation.MapCarrier{sentryTraceHeader: v.header, baggageHeader: frontendBaggage}
			ctx := p.Extract(context.Background(), carrier)
			sc := trace.SpanContextFromContext(ctx)
			if !sc.IsRemote() || sc.TraceID() != v.traceID || sc.SpanID() != v.spanID {
				t.Fatalf("span context = %+v", sc)
			}
			if got, want := sc.IsSampled(), v.decision == decisionSampled; got != want {
				t.Errorf("sampled = %v, want %v", got, want)
			}
			dsc, ok := DynamicSamplingContextFromContext(ctx)
			if !ok || !equalPairs(dscPairs(dsc), baggageVectors[0].want) {
				t.Errorf("DSC = %v, %v", dscPairs(dsc), ok)
			}
		})
	}
}

// TestExtractBadInputChangesNothing checks that headers that must not
// continue a trace return the very context passed in.
func TestExtractBadInputChangesNothing(t *testing.T) {
	p := NewPropagator(WithHub(newTestHub(t, sentry.ClientOptions{})))
	type key struct{}
	parent := context.WithValue(context.Background(), key{}, 1)
	for _, v := range sentryTraceVectors {
		if v.err == nil {
			continue
		}
		t.Run(v.name, func(t *testing.T) {
			carrier := propagation.MapCarrier{sentryTraceHeader: v.header, baggageHeader: frontendBaggage}
			if ctx := p.Extract(parent, carrier); ctx != parent {
				t.Fatal("context changed")
			}
		})
	}
	t.Run("baggage without sentry-trace", func(t *testing.T) {
		if ctx := p.Extract(parent, propagation.MapCarrier{baggageHeader: frontendBaggage}); ctx != parent {
			t.Fatal("context changed")
		}
	})
	t.Run("other organization", func(t *testing.T) {
		carrier := propagation.MapCarrier{
			sentryTraceHeader: frontendSentryTrace,
			baggageHeader:     strings.Replace(frontendBaggage, "sentry-org_id=123", "sentry-org_id=999", 1),
		}
		ctx, err := p.extract(parent, carrier)
		if ctx != parent || !errors.Is(err, errOtherOrg) {
			t.Fatalf("context changed or error %v", err)
		}
	})
	t.Run("huge values", func(t *testing.T) {
		carrier := propagation.MapCarrier{
			sentryTraceHeader: strings.Repeat("a", 100_000),
			baggageHeader:     strings.Repeat("sentry-x=1,", 10_000),
		}
		if ctx := p.Extract(parent, carrier); ctx != parent {
			t.Fatal("context changed")
		}
	})
}

func TestStrictTraceContinuation(t *testing.T) {
	strict := NewPropagator(WithHub(newTestHub(t, sentry.ClientOptions{StrictTraceContinuation: true})))
	lax := NewPropagator(WithHub(newTestHub(t, sentry.ClientOptions{})))
	noOrg := strings.Replace(frontendBaggage, "sentry-org_id=123,", "", 1)
	carrier := propagation.MapCarrier{sentryTraceHeader: frontendSentryTrace, baggageHeader: noOrg}
	if ctx := strict.Extract(context.Background(), carrier); trace.SpanContextFromContext(ctx).IsValid() {
		t.Error("strict continuation continued a trace with no org_id")
	}
	if ctx := lax.Extract(context.Background(), carrier); !trace.SpanContextFromContext(ctx).IsValid() {
		t.Error("a trace with no org_id was not continued")
	}
}

func TestParseDSC(t *testing.T) {
	for _, v := range baggageVectors {
		t.Run(v.name, func(t *testing.T) {
			d, err := parseDSC(v.header)
			if !errors.Is(err, v.err) {
				t.Errorf("error = %v, want %v", err, v.err)
			}
			if got := dscPairs(d); !equalPairs(got, v.want) {
				t.Errorf("members = %q, want %q", got, v.want)
			}
		})
	}
}

func TestParseDSCLimits(t *testing.T) {
	var b strings.Builder
	for i := range 1000 {
		b.WriteString("sentry-k")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString("=v,")
	}
	d, err := parseDSC(b.String())
	if d.Len() > maxDSCMembers+len(sentryDSCKeys) || !errors.Is(err, errBaggageTooMany) {
		t.Errorf("kept %d members, error %v", d.Len(), err)
	}
	long := "sentry-release=" + strings.Repeat("a", maxMemberBytes) + ",sentry-environment=prod"
	d, err = parseDSC(long)
	if !equalPairs(dscPairs(d), [][2]string{{"environment", "prod"}}) || !errors.Is(err, errBaggageMemberSize) {
		t.Errorf("members %v, error %v", dscPairs(d), err)
	}
}

func TestExtractFillsMissingSampleRand(t *testing.T) {
	p := NewPropagator(WithHub(newTestHub(t, sentry.ClientOptions{})))
	tests := []struct {
		name    string
		flag    string
		check   func(r float64) bool
		wantLen int
	}{
		{name: "sampled draws below the rate", flag: "-1", check: func(r float64) bool { return r < 0.25 }},
		{name: "not sampled draws at or above the rate", flag: "-0", check: func(r float64) bool { return r >= 0.25 && r < 1 }},
		{name: "deferred draws in [0,1)", flag: "", check: func(r float64) bool { return r >= 0 && r < 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range 200 {
				tid := trace.TraceID{byte(i), 1, 2, 3, 4, 5, 6, 7, byte(i * 31), byte(i * 17), byte(i), 0xff, byte(i * 7), 0, 1, 2}
				carrier := propagation.MapCarrier{
					sentryTraceHeader: tid.String() + "-" + goldenSpanHex + tt.flag,
					baggageHeader:     "sentry-sample_rate=0.25,sentry-public_key=k",
				}
				dsc, _ := DynamicSamplingContextFromContext(p.Extract(context.Background(), carrier))
				v, ok := dsc.Get("sample_rand")
				r, valid := parseRand(v)
				if !ok || !valid || !tt.check(r) {
					t.Fatalf("sample_rand %q for %s", v, carrier[sentryTraceHeader])
				}
			}
		})
	}
	t.Run("invalid sample_rand replaced", func(t *testing.T) {
		carrier := propagation.MapCarrier{sentryTraceHeader: frontendSentryTrace, baggageHeader: "sentry-sample_rand=1.5,sentry-sample_rate=1"}
		dsc, _ := DynamicSamplingContextFromContext(p.Extract(context.Background(), carrier))
		if v, _ := dsc.Get("sample_rand"); v == "1.5" || dsc.Len() != 2 {
			t.Fatalf("DSC %v", dscPairs(dsc))
		}
	})
	t.Run("empty DSC stays empty", func(t *testing.T) {
		carrier := propagation.MapCarrier{sentryTraceHeader: frontendSentryTrace, baggageHeader: "other=1"}
		dsc, ok := DynamicSamplingContextFromContext(p.Extract(context.Background(), carrier))
		if !ok || dsc.Len() != 0 {
			t.Fatalf("DSC %v, frozen %v", dscPairs(dsc), ok)
		}
	})
}

// TestInjectPassesFrozenDSCOn checks that a service passes the caller's
// trace on: the remote parent's ids and decision, and the DSC unchanged.
func TestInjectPassesFrozenDSCOn(t *testing.T) {
	p := NewPropagator(WithHub(newTestHub(t, sentry.ClientOptions{Release: "backend@2", TracesSampleRate: 1})))
	for _, v := range sentryTraceVectors {
		if v.err != nil {
			continue
		}
		t.Run(v.name, func(t *testing.T) {
			ctx := p.Extract(context.Background(), propagation.MapCarrier{sentryTraceHeader: v.header, baggageHeader: frontendBaggage})
			out := propagation.MapCarrier{}
			p.Inject(ctx, out)
			if want := formatSentryTrace(v.traceID, v.spanID, v.decision); out[sentryTraceHeader] != want {
				t.Errorf("sentry-trace = %q, want %q", out[sentryTraceHeader], want)
			}
			d, err := parseDSC(out[baggageHeader])
			if err != nil || !equalPairs(dscPairs(d), baggageVectors[0].want) {
				t.Errorf("baggage %q: %v", out[baggageHeader], err)
			}
			if strings.Contains(out[baggageHeader], "other-vendor") {
				t.Error("third-party members forwarded by the Sentry propagator")
			}
		})
	}
}

func TestInjectLocalChildWithoutProcessor(t *testing.T) {
	p := NewPropagator(WithHub(newTestHub(t, sentry.ClientOptions{})))
	tp := sdktrace.NewTracerProvider()
	defer func() { _ = tp.Shutdown(context.Background()) }()
	ctx := p.Extract(context.Background(), propagation.MapCarrier{sentryTraceHeader: frontendSentryTrace, baggageHeader: frontendBaggage})
	ctx, server := tp.Tracer("t").Start(ctx, "server")
	ctx, client := tp.Tracer("t").Start(ctx, "client")
	out := propagation.MapCarrier{}
	p.Inject(ctx, out)
	want := goldenTraceHex + "-" + client.SpanContext().SpanID().String() + "-1"
	if out[sentryTraceHeader] != want {
		t.Errorf("sentry-trace = %q, want %q", out[sentryTraceHeader], want)
	}
	if client.SpanContext().SpanID() == server.SpanContext().SpanID() {
		t.Fatal("child shares its parent's id")
	}
	d, _ := parseDSC(out[baggageHeader])
	if !equalPairs(dscPairs(d), baggageVectors[0].want) {
		t.Errorf("DSC = %v", dscPairs(d))
	}
}

func TestInjectHeadDSC(t *testing.T) {
	hub := newTestHub(t, sentry.ClientOptions{Release: "backend@2.0.0", Environment: "staging", TracesSampleRate: 0.5})
	p := NewPropagator(WithHub(hub))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	ctx, root := tp.Tracer("t").Start(context.Background(), "root")
	first := propagation.MapCarrier{}
	p.Inject(ctx, first)
	childCtx, child := tp.Tracer("t").Start(ctx, "child")
	second := propagation.MapCarrier{}
	p.Inject(childCtx, second)
	child.End()
	root.End()

	tid := root.SpanContext().TraceID().String()
	d1, err := parseDSC(first[baggageHeader])
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"trace_id": tid, "public_key": "49d0f7386ad645858ae85020e393bef3", "sample_rate": "0.5",
		"sampled": "true", "release": "backend@2.0.0", "environment": "staging", "org_id": "123",
	}
	for k, v := range want {
		if got, _ := d1.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	r, ok := d1.Get("sample_rand")
	if rv, valid := parseRand(r); !ok || !valid || rv >= 0.5 {
		t.Errorf("sample_rand %q must be below the rate of a sampled trace", r)
	}
	if first[baggageHeader] != second[baggageHeader] {
		t.Errorf("the DSC differs between requests of one trace:\n%s\n%s", first[baggageHeader], second[baggageHeader])
	}
	if got := p.DynamicSamplingContext(childCtx).String(); got != first[baggageHeader] {
		t.Errorf("DynamicSamplingContext = %q, want %q", got, first[baggageHeader])
	}
}

func TestInjectMergesExistingBaggage(t *testing.T) {
	p := NewPropagator(WithHub(newTestHub(t, sentry.ClientOptions{})))
	ctx := p.Extract(context.Background(), propagation.MapCarrier{sentryTraceHeader: frontendSentryTrace, baggageHeader: "sentry-release=new,sentry-sample_rand=0.5"})
	tests := []struct {
		name, existing, want string
	}{
		{name: "none", existing: "", want: "sentry-release=new,sentry-sample_rand=0.5"},
		{name: "other vendors kept verbatim", existing: "a=1;p=2, b = %20x", want: "a=1;p=2,b = %20x,sentry-release=new,sentry-sample_rand=0.5"},
		{name: "stale sentry members replaced", existing: "sentry-release=old,a=1,sentry-environment=old", want: "a=1,sentry-release=new,sentry-sample_rand=0.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := propagation.MapCarrier{}
			if tt.existing != "" {
				c[baggageHeader] = tt.existing
			}
			p.Inject(ctx, c)
			if c[baggageHeader] != tt.want {
				t.Errorf("baggage = %q, want %q", c[baggageHeader], tt.want)
			}
		})
	}
}

// TestInjectWithoutDSCLeavesBaggage checks that Inject leaves a baggage
// header of other vendors as it is, byte for byte, when it has no DSC to
// write: no client bound and no incoming trace, or a frozen empty DSC. Stale
// sentry- members are still removed.
func TestInjectWithoutDSCLeavesBaggage(t *testing.T) {
	noClient := NewPropagator(WithHub(sentry.NewHub(nil, sentry.NewScope())))
	local := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled,
	}))
	frozenEmpty := noClient.Extract(context.Background(), propagation.MapCarrier{sentryTraceHeader: frontendSentryTrace})
	for _, ctx := range []context.Context{local, frozenEmpty} {
		for existing, want := range map[string]string{
			"a=1 , b=2":            "a=1 , b=2",
			"a=1 , sentry-x=stale": "a=1",
		} {
			c := propagation.MapCarrier{baggageHeader: existing}
			noClient.Inject(ctx, c)
			if c[baggageHeader] != want {
				t.Errorf("baggage %q became %q, want %q", existing, c[baggageHeader], want)
			}
		}
	}
}

func TestInjectSizeLimit(t *testing.T) {
	big := strings.Repeat("x", 2500) // the whole header stays under 8192 bytes
	incoming := "sentry-a=" + big + ",sentry-b=" + big + ",sentry-c=" + big + ",sentry-trace_id=" + goldenTraceHex
	p := NewPropagator()
	ctx := p.Extract(context.Background(), propagation.MapCarrier{sentryTraceHeader: frontendSentryTrace, baggageHeader: incoming})
	c := propagation.MapCarrier{baggageHeader: "vendor=" + strings.Repeat("y", 1000)}
	p.Inject(ctx, c)
	h := c[baggageHeader]
	if len(h) > maxBaggageBytes {
		t.Fatalf("baggage is %d bytes", len(h))
	}
	if !strings.HasPrefix(h, "vendor=") || !strings.Contains(h, "sentry-trace_id="+goldenTraceHex) {
		t.Errorf("members lost: %.80q...", h)
	}
	if _, err := baggage.Parse(h); err != nil {
		t.Errorf("OTel cannot parse the header: %v", err)
	}
}

func TestInjectWithoutSpanContextWritesNothing(t *testing.T) {
	c := propagation.MapCarrier{}
	NewPropagator().Inject(context.Background(), c)
	if len(c) != 0 {
		t.Errorf("wrote %v", c)
	}
}

// TestRoundTrip injects and extracts through both carriers, with the
// propagator alone and after OTel's W3C propagators in a composite.
func TestRoundTrip(t *testing.T) {
	sentryProp := NewPropagator(WithHub(newTestHub(t, sentry.ClientOptions{})))
	props := map[string]propagation.TextMapPropagator{
		"alone":     sentryProp,
		"composite": propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}, sentryProp),
	}
	carriers := map[string]func() propagation.TextMapCarrier{
		"MapCarrier":    func() propagation.TextMapCarrier { return propagation.MapCarrier{} },
		"HeaderCarrier": func() propagation.TextMapCarrier { return propagation.HeaderCarrier(http.Header{}) },
	}
	for pn, prop := range props {
		for cn, newCarrier := range carriers {
			for _, v := range sentryTraceVectors {
				if v.err != nil {
					continue
				}
				t.Run(pn+"/"+cn+"/"+v.name, func(t *testing.T) {
					in := newCarrier()
					in.Set(sentryTraceHeader, v.header)
					in.Set(baggageHeader, frontendBaggage)
					ctx := prop.Extract(context.Background(), in)
					mid := newCarrier()
					prop.Inject(ctx, mid)
					ctx2 := prop.Extract(context.Background(), mid)
					sc1, sc2 := trace.SpanContextFromContext(ctx), trace.SpanContextFromContext(ctx2)
					if !sc1.Equal(sc2) {
						t.Errorf("span context %v != %v", sc1, sc2)
					}
					d1, _ := DynamicSamplingContextFromContext(ctx)
					d2, _ := DynamicSamplingContextFromContext(ctx2)
					if !equalPairs(dscPairs(d1), dscPairs(d2)) {
						t.Errorf("DSC %v != %v", dscPairs(d1), dscPairs(d2))
					}
					if in2 := incomingFromContext(ctx2); in2 == nil || in2.decision != v.decision {
						t.Errorf("decision lost")
					}
				})
			}
		}
	}
}

func TestCompositeSentryTraceWins(t *testing.T) {
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}, NewPropagator())
	carrier := propagation.MapCarrier{
		"traceparent":     "00-11111111111111111111111111111111-2222222222222222-01",
		sentryTraceHeader: frontendSentryTrace,
		baggageHeader:     frontendBaggage,
	}
	ctx := prop.Extract(context.Background(), carrier)
	sc := trace.SpanContextFromContext(ctx)
	if sc.TraceID() != goldenTraceID || sc.SpanID() != goldenSpanID {
		t.Fatalf("span context %v, want the sentry-trace ids", sc)
	}
	// Third-party members come through the W3C Baggage propagator.
	out := propagation.MapCarrier{}
	prop.Inject(ctx, out)
	if !strings.Contains(out[baggageHeader], "other-vendor-value-2=bar") || strings.Count(out[baggageHeader], "sentry-trace_id=") != 1 {
		t.Errorf("baggage %q", out[baggageHeader])
	}
	t.Run("traceparent alone still works", func(t *testing.T) {
		delete(carrier, sentryTraceHeader)
		sc := trace.SpanContextFromContext(prop.Extract(context.Background(), carrier))
		if sc.TraceID().String() != "11111111111111111111111111111111" {
			t.Errorf("span context %v", sc)
		}
	})
}

func TestHeaderCarrierMultipleValues(t *testing.T) {
	h := http.Header{}
	h.Add("Sentry-Trace", frontendSentryTrace)
	h.Add("Baggage", "sentry-release=1")
	h.Add("Baggage", "sentry-environment=prod")
	dsc, ok := DynamicSamplingContextFromContext(NewPropagator().Extract(context.Background(), propagation.HeaderCarrier(h)))
	if !ok || dsc.Len() < 2 {
		t.Fatalf("DSC %v", dscPairs(dsc))
	}
}

func TestDeprecatedSentryPropagator(t *testing.T) {
	p := NewSentryPropagator()
	ctx := p.Extract(context.Background(), propagation.MapCarrier{sentryTraceHeader: frontendSentryTrace})
	if !trace.SpanContextFromContext(ctx).IsValid() {
		t.Fatal("alias does not extract")
	}
	if f := p.Fields(); len(f) != 3 || f[0] != sentryTraceHeader || f[1] != baggageHeader || f[2] != traceparentHeader {
		t.Errorf("Fields = %v", f)
	}
}

func TestZeroPropagatorUsable(t *testing.T) {
	var p Propagator
	ctx := p.Extract(context.Background(), propagation.MapCarrier{sentryTraceHeader: frontendSentryTrace})
	p.Inject(ctx, propagation.MapCarrier{})
}

func TestExtractAllocationsBounded(t *testing.T) {
	p := NewPropagator()
	huge := propagation.MapCarrier{
		sentryTraceHeader: frontendSentryTrace,
		baggageHeader:     strings.Repeat("sentry-k=v,other=\xff,", 5000) + strings.Repeat("z", 100_000),
	}
	allocs := testing.AllocsPerRun(20, func() { p.Extract(context.Background(), huge) })
	if allocs > 10 {
		t.Errorf("Extract of a 190 KB baggage header made %.0f allocations", allocs)
	}
}

func TestPropagatorConcurrentSafe(t *testing.T) {
	hub := newTestHub(t, sentry.ClientOptions{TracesSampleRate: 1})
	p := NewPropagator(WithHub(hub))
	tp := sdktrace.NewTracerProvider()
	defer func() { _ = tp.Shutdown(context.Background()) }()
	ctx := p.Extract(context.Background(), propagation.MapCarrier{sentryTraceHeader: frontendSentryTrace, baggageHeader: frontendBaggage})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				c := propagation.MapCarrier{}
				p.Inject(ctx, c)
				p.Extract(context.Background(), c)
				rctx, span := tp.Tracer("t").Start(context.Background(), "root")
				p.Inject(rctx, propagation.MapCarrier{})
				span.End()
			}
		}()
	}
	wg.Wait()
}

// TestHeadBaggageMatchesHeadDSC checks that the encoding Inject writes for a
// trace that starts here is exactly the DSC the processor puts on envelopes.
func TestHeadBaggageMatchesHeadDSC(t *testing.T) {
	clients := map[string]sentry.ClientOptions{
		"full":       {Release: "api@1.0.0 (build 7)", Environment: "prod", TracesSampleRate: 0.25},
		"bare":       {Dsn: "https://k@sentry.example.com/1"},
		"org option": {OrgID: 77, Release: "r"},
	}
	states := map[string]trace.TraceState{"none": {}}
	if ts, err := (trace.TraceState{}).Insert(tracestateKey, "r:0.5"); err == nil {
		states["sampler rate"] = ts
	}
	for cn, opts := range clients {
		info := newClientInfo(newTestHub(t, opts).Client())
		for sn, ts := range states {
			for _, flags := range []trace.TraceFlags{0, trace.FlagsSampled} {
				sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: goldenTraceID, SpanID: goldenSpanID, TraceFlags: flags, TraceState: ts})
				got, want := headBaggage(sc, info), headDSC(sc, info).String()
				if got != want {
					t.Errorf("%s/%s/%v:\n%s\n%s", cn, sn, flags, got, want)
				}
			}
		}
	}
}

func TestInjectHeadDSCMergesExistingBaggage(t *testing.T) {
	hub := newTestHub(t, sentry.ClientOptions{Release: "backend@2.0.0", TracesSampleRate: 1})
	p := NewPropagator(WithHub(hub))
	tp := sdktrace.NewTracerProvider()
	defer func() { _ = tp.Shutdown(context.Background()) }()
	ctx, span := tp.Tracer("t").Start(context.Background(), "root")
	defer span.End()
	c := propagation.MapCarrier{baggageHeader: "vendor=1, sentry-release=stale"}
	p.Inject(ctx, c)
	if want := "vendor=1," + p.DynamicSamplingContext(ctx).String(); c[baggageHeader] != want {
		t.Errorf("baggage = %q, want %q", c[baggageHeader], want)
	}
}

// TestStockParentBasedFollowsSentryTrace checks that OTel's own ParentBased
// sampler honours the decision of an extracted sentry-trace header.
func TestStockParentBasedFollowsSentryTrace(t *testing.T) {
	tests := []struct {
		name    string
		root    sdktrace.Sampler
		flag    string
		sampled bool
	}{
		{name: "-1 over a root sampler that drops", root: sdktrace.NeverSample(), flag: "-1", sampled: true},
		{name: "-0 over a root sampler that keeps", root: sdktrace.AlwaysSample(), flag: "-0", sampled: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.ParentBased(tt.root)))
			defer func() { _ = tp.Shutdown(context.Background()) }()
			ctx := NewPropagator().Extract(context.Background(), propagation.MapCarrier{sentryTraceHeader: goldenTraceHex + "-" + goldenSpanHex + tt.flag})
			_, span := tp.Tracer("t").Start(ctx, "server")
			defer span.End()
			if span.SpanContext().IsSampled() != tt.sampled {
				t.Errorf("sampled = %v, want %v", span.SpanContext().IsSampled(), tt.sampled)
			}
		})
	}
}
