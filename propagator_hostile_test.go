package otelsentry

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Incoming trace headers come from anyone. These tests attack the
// propagator as a caller on the internet would.

const (
	otherTraceHex    = "0af7651916cd43dd8448eb211c80319c"
	otherSpanHex     = "00f067aa0ba902b7"
	otherTraceparent = "00-" + otherTraceHex + "-" + otherSpanHex + "-01"
)

// compositePropagator is the README's composite: W3C first, then Sentry's.
func compositePropagator(p Propagator) propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}, p)
}

// startServerSpan extracts carrier with prop and starts a server span under
// a sampler of rate 0, as a service behind the caller would.
func startServerSpan(t *testing.T, hub *sentry.Hub, prop propagation.TextMapPropagator, carrier propagation.MapCarrier) (context.Context, trace.Span) {
	t.Helper()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(NewSampler(WithHub(hub))))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx := prop.Extract(context.Background(), carrier)
	return tp.Tracer("t").Start(ctx, "GET /", trace.WithSpanKind(trace.SpanKindServer))
}

// TestOrganizationCheck is Sentry's strict trace continuation table
// (develop docs, "strict trace continuation"), as sentry-go v0.50 decides it,
// for every way a caller can present its organization.
func TestOrganizationCheck(t *testing.T) {
	const ours = "123"
	bare := propagation.MapCarrier{sentryTraceHeader: frontendSentryTrace}
	withBaggage := func(b string) propagation.MapCarrier {
		return propagation.MapCarrier{sentryTraceHeader: frontendSentryTrace, baggageHeader: b}
	}
	tests := []struct {
		name        string
		carrier     propagation.MapCarrier
		dsn         string // the client's; its org is 123 unless noted
		strict, lax bool   // continued with StrictTraceContinuation, and without
	}{
		{name: "same org", carrier: withBaggage(frontendBaggage), strict: true, lax: true},
		{name: "other org", carrier: withBaggage("sentry-org_id=999,sentry-sample_rate=1"), strict: false, lax: false},
		{name: "bare sentry-trace", carrier: bare, strict: false, lax: true},
		{name: "third-party members only", carrier: withBaggage("vendor=1,other=2"), strict: false, lax: true},
		{name: "malformed sentry- members only", carrier: withBaggage("sentry-org_id=%zz,sentry-=1,sentry-release"), strict: false, lax: true},
		{name: "org_id not a number", carrier: withBaggage("sentry-org_id=abc"), strict: false, lax: true},
		{name: "org_id with leading zero", carrier: withBaggage("sentry-org_id=0123"), strict: true, lax: true},
		{name: "client without org, caller with one", carrier: withBaggage("sentry-org_id=999"),
			dsn: "https://49d0f7386ad645858ae85020e393bef3@sentry.example.com/42", strict: false, lax: true},
		{name: "neither knows its org", carrier: bare,
			dsn: "https://49d0f7386ad645858ae85020e393bef3@sentry.example.com/42", strict: true, lax: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, strict := range []bool{true, false} {
				hub := newTestHub(t, sentry.ClientOptions{Dsn: tt.dsn, StrictTraceContinuation: strict})
				want := tt.lax
				if strict {
					want = tt.strict
				}
				ctx, span := startServerSpan(t, hub, NewPropagator(WithHub(hub)), tt.carrier)
				continued := span.SpanContext().TraceID() == goldenTraceID
				if continued != want {
					t.Errorf("strict=%v: continued=%v, want %v", strict, continued, want)
				}
				if !continued && span.SpanContext().IsSampled() {
					t.Errorf("strict=%v: a refused -1 sampled the new trace at rate 0", strict)
				}
				if !continued && incomingFromContext(ctx) != nil {
					t.Errorf("strict=%v: the refused caller's DSC was frozen", strict)
				}
			}
		})
	}
	_ = ours
}

// TestOtherOrgStartsNewTraceWhateverRanBefore sends a caller of another
// organization through the README's composite: the traceparent that
// TraceContext extracted before this propagator must not continue either.
func TestOtherOrgStartsNewTraceWhateverRanBefore(t *testing.T) {
	tests := []struct {
		name    string
		carrier propagation.MapCarrier
		strict  bool
	}{
		{name: "sentry-trace, traceparent and other org", carrier: propagation.MapCarrier{
			sentryTraceHeader: frontendSentryTrace, "traceparent": otherTraceparent, baggageHeader: "sentry-org_id=999",
		}},
		{name: "same trace in both headers", carrier: propagation.MapCarrier{
			sentryTraceHeader: otherTraceHex + "-" + otherSpanHex + "-1", "traceparent": otherTraceparent, baggageHeader: "sentry-org_id=999",
		}},
		{name: "traceparent alone, other org in baggage", carrier: propagation.MapCarrier{
			"traceparent": otherTraceparent, baggageHeader: "sentry-org_id=999,sentry-sampled=true",
		}},
		{name: "strict: traceparent alone, no org", strict: true, carrier: propagation.MapCarrier{
			"traceparent": otherTraceparent,
		}},
		{name: "strict: malformed sentry-trace, traceparent, no org", strict: true, carrier: propagation.MapCarrier{
			sentryTraceHeader: "nonsense", "traceparent": otherTraceparent,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := newTestHub(t, sentry.ClientOptions{TracesSampleRate: 0, StrictTraceContinuation: tt.strict})
			p := NewPropagator(WithHub(hub))
			ctx, span := startServerSpan(t, hub, compositePropagator(p), tt.carrier)
			sc := span.SpanContext()
			if tid := sc.TraceID().String(); tid == goldenTraceHex || tid == otherTraceHex {
				t.Fatalf("the caller's trace %s was continued", tid)
			}
			if sc.IsSampled() {
				t.Error("the caller's sampled flag sampled the new trace at rate 0")
			}
			out := propagation.MapCarrier{}
			compositePropagator(p).Inject(ctx, out)
			d, err := parseDSC(out[baggageHeader])
			if err != nil {
				t.Fatal(err)
			}
			rate, _ := d.Get(dscSampleRate)
			sampled, _ := d.Get(dscSampled)
			org, _ := d.Get(dscOrgID)
			if rate != "0" || sampled != "false" || org != "123" {
				t.Errorf("head DSC contradicts itself or keeps the caller's: %s", out[baggageHeader])
			}
			if p.Stats().OtherOrganization == 0 {
				t.Error("the refusal was not counted")
			}
		})
	}
	t.Run("lax: traceparent alone, no org, still continues", func(t *testing.T) {
		hub := newTestHub(t, sentry.ClientOptions{})
		_, span := startServerSpan(t, hub, compositePropagator(NewPropagator(WithHub(hub))), propagation.MapCarrier{"traceparent": otherTraceparent})
		if span.SpanContext().TraceID().String() != otherTraceHex {
			t.Error("a W3C caller with no org was not continued")
		}
	})
}

// pointsInto reports whether s shares memory with the string in.
func pointsInto(s, in string) bool {
	if len(s) == 0 || len(in) == 0 {
		return false
	}
	p, lo := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(in)))
	return lo <= p && p < lo+uintptr(len(in))
}

// TestFrozenDSCHoldsNoHeader checks that a context holding an incoming DSC
// holds copies of its members, not the header they came in.
func TestFrozenDSCHoldsNoHeader(t *testing.T) {
	p := NewPropagator(WithHub(newTestHub(t, sentry.ClientOptions{})))
	pad := "vendor=" + strings.Repeat("x", maxMemberBytes-100)
	header := pad + "," + pad + ",sentry-release=1.0,sentry-sample_rand=0.5,sentry-org_id=123"
	ctx := p.Extract(context.Background(), propagation.MapCarrier{sentryTraceHeader: frontendSentryTrace, baggageHeader: header})
	in := incomingFromContext(ctx)
	if in == nil || in.dsc.Len() != 3 {
		t.Fatalf("DSC not extracted: %v", in)
	}
	for k, v := range in.dsc.All() {
		if pointsInto(k, header) || pointsInto(v, header) {
			t.Errorf("member %s=%s points into the header", k, v)
		}
	}

	// The same, measured: contexts that each froze a small DSC from a large
	// header hold about the DSC's bytes, not the header's.
	const n = 500
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	kept := make([]context.Context, n)
	for i := range kept {
		h := strings.Clone(header) // a fresh header per request, as a server reads them
		kept[i] = p.Extract(context.Background(), propagation.MapCarrier{sentryTraceHeader: frontendSentryTrace, baggageHeader: h})
	}
	grown := int64(heap()) - int64(before)
	if limit := int64(n * 1024); grown > limit {
		t.Errorf("%d contexts hold %d KiB, over %d KiB: the headers are pinned", n, grown>>10, limit>>10)
	}
	runtime.KeepAlive(kept)
}

// TestFrozenDSCBounded checks that what is frozen, and so what every
// envelope's trace header and every outgoing request carries, stays within
// the outgoing baggage bound, keeping Sentry's own members first.
func TestFrozenDSCBounded(t *testing.T) {
	var b strings.Builder
	for i := range 70 {
		b.WriteString("sentry-junk")
		b.WriteString(strings.Repeat("k", i%5))
		b.WriteByte(byte('a' + i%26))
		b.WriteString("=")
		b.WriteString(strings.Repeat("v", 3000))
		b.WriteString(",")
	}
	b.WriteString("sentry-release=api%401.0,sentry-sample_rate=0.5,sentry-org_id=123")
	d, err := parseDSC(b.String())
	if !errors.Is(err, errBaggageDSCSize) && !errors.Is(err, errBaggageTooMany) {
		t.Errorf("error = %v", err)
	}
	if n := len(d.String()); n > maxDSCBytes {
		t.Errorf("frozen DSC encodes to %d bytes, over %d", n, maxDSCBytes)
	}
	for _, k := range []string{dscRelease, dscSampleRate, dscOrgID} {
		if _, ok := d.Get(k); !ok {
			t.Errorf("Sentry's member %s was dropped for others' junk", k)
		}
	}

	// End to end: the envelope header of the transaction and of an error.
	e := newE2E(t, sentry.ClientOptions{})
	big := "sentry-release=api%401.0,sentry-sample_rand=0.1,sentry-org_id=123"
	for i := range 3 {
		big += ",sentry-x" + string(rune('a'+i)) + "=" + strings.Repeat("v", 2600)
	}
	ctx := e.prop.Extract(context.Background(), propagation.MapCarrier{sentryTraceHeader: frontendSentryTrace, baggageHeader: big})
	_, span := e.tracer.Start(ctx, "GET /", trace.WithSpanKind(trace.SpanKindServer))
	span.RecordError(errors.New("boom"))
	span.End()
	e.flush(t)
	for _, typ := range []string{"transaction", "event"} {
		for _, it := range e.server.waitItems(typ, 1) {
			dsc, _ := it.Envelope["trace"].(map[string]any)
			size := 0
			for k, v := range dsc {
				size += len(sentryPrefix) + len(k) + 2 + len(str(v))
			}
			if size > maxBaggageBytes {
				t.Errorf("%s envelope carries a DSC of %d bytes", typ, size)
			}
			if str(dsc["release"]) != "api@1.0" {
				t.Errorf("%s envelope lost the caller's release: %v", typ, dsc["release"])
			}
		}
	}
}

// TestHeaderSizeCaps checks that headers over their limits are refused
// before any parsing, counted, and reported once.
func TestHeaderSizeCaps(t *testing.T) {
	errs := newRecordingErrorHandler(t)
	hub := newTestHub(t, sentry.ClientOptions{})
	p := NewPropagator(WithHub(hub))
	commas := strings.Repeat(",", 1<<20)
	tests := []struct {
		name    string
		carrier propagation.MapCarrier
		check   func(t *testing.T, ctx context.Context)
	}{
		{name: "baggage of 1 MB of commas", carrier: propagation.MapCarrier{sentryTraceHeader: frontendSentryTrace, baggageHeader: commas},
			check: func(t *testing.T, ctx context.Context) {
				if d, ok := DynamicSamplingContextFromContext(ctx); !ok || d.Len() != 0 {
					t.Errorf("refused baggage gave a DSC of %d members", d.Len())
				}
			}},
		{name: "baggage of 8193 bytes", carrier: propagation.MapCarrier{sentryTraceHeader: frontendSentryTrace,
			baggageHeader: "sentry-release=1," + strings.Repeat("a", maxBaggageBytes-16)},
			check: func(t *testing.T, ctx context.Context) {
				if d, _ := DynamicSamplingContextFromContext(ctx); d.Len() != 0 {
					t.Error("a member of an oversized header was kept")
				}
			}},
		{name: "sentry-trace padded past 512 bytes", carrier: propagation.MapCarrier{
			sentryTraceHeader: frontendSentryTrace + strings.Repeat(" ", maxSentryTraceBytes)},
			check: func(t *testing.T, ctx context.Context) {
				if trace.SpanContextFromContext(ctx).IsValid() {
					t.Error("an oversized sentry-trace was continued")
				}
			}},
		{name: "tracestate over 8192 bytes", carrier: propagation.MapCarrier{
			sentryTraceHeader: otherTraceHex + "-" + otherSpanHex + "-1", "traceparent": otherTraceparent,
			"tracestate": "a=1," + strings.Repeat(" ,", maxTraceStateBytes/2)},
			check: func(t *testing.T, ctx context.Context) {
				if ts := trace.SpanContextFromContext(ctx).TraceState(); ts.Len() != 0 {
					t.Errorf("an oversized tracestate was kept: %s", ts)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := p.Stats().HeadersTooLarge
			ctx := compositePropagator(p).Extract(context.Background(), tt.carrier)
			tt.check(t, ctx)
			if p.Stats().HeadersTooLarge != before+1 {
				t.Errorf("HeadersTooLarge went from %d to %d", before, p.Stats().HeadersTooLarge)
			}
		})
	}
	t.Run("no work before the cap", func(t *testing.T) {
		carrier := propagation.MapCarrier{sentryTraceHeader: frontendSentryTrace, baggageHeader: commas}
		allocs := testing.AllocsPerRun(20, func() { p.Extract(context.Background(), carrier) })
		if allocs > 8 {
			t.Errorf("Extract of a 1 MB baggage header allocates %.0f times", allocs)
		}
	})
	n := 0
	for _, err := range errs.errors() {
		if errors.Is(err, errHeaderTooLarge) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("oversized headers reported %d times, want once", n)
	}
}

// numberRules are the sample_rate and sample_rand values a caller may send,
// and what this package makes of them. Sentry's SDKs read them loosely and
// each differently: JavaScript with parseFloat, which reads a prefix ("0x1p-2"
// is 0), Python with float(), which takes signs, "inf" and underscores but no
// hexadecimal, and sentry-go with strconv.ParseFloat, which takes hexadecimal
// and underscores. So only what every one of them reads alike is accepted:
// the forms the SDKs write. A refused value is left out of the DSC (a made-up
// sample_rand takes its place), so no service passes on a value that
// services downstream would read differently.
var numberRules = []struct {
	value      string
	rate, rand bool // accepted as sample_rate, as sample_rand
	why        string
}{
	{"0.25", true, true, "every SDK writes and reads it alike"},
	{"0", true, true, "every SDK"},
	{"1", true, false, "every SDK; sample_rand is below 1"},
	{"1.0", true, false, "Python writes rates so"},
	{"0.999999", true, true, "the SDKs write sample_rand with six decimals"},
	{"1e-05", true, true, "Python's str(0.00001)"},
	{"1e-7", true, true, "JavaScript's String(1e-7)"},
	{"2.5E-3", true, true, "an exponent in either case"},
	{"0x1p-2", false, false, "sentry-go reads 0.25, JavaScript 0, Python refuses: as Python"},
	{"0x_1p-2", false, false, "sentry-go reads 0.25, Python refuses: as Python"},
	{"1_0", false, false, "Python and sentry-go read 10: no SDK writes it"},
	{"+0.5", false, false, "every SDK reads 0.5, none writes a sign"},
	{".5", false, false, "every SDK reads 0.5, none writes it"},
	{"5.", false, false, "no SDK writes it"},
	{"-0", false, false, "every SDK reads 0, none writes a sign"},
	{"1e-400", false, false, "every SDK reads 0 for a non-zero number"},
	{"1.5", false, false, "out of range in every SDK"},
	{"NaN", false, false, "Python and sentry-go read NaN"},
	{"inf", false, false, "Python and sentry-go read infinity"},
	{"", false, false, "empty"},
	{"5e", false, false, "an exponent without digits"},
	{"0.5e+", false, false, "an exponent without digits"},
	{strings.Repeat("0", 65), false, false, "over 64 characters"},
}

func TestNumberRules(t *testing.T) {
	for _, r := range numberRules {
		t.Run(r.value, func(t *testing.T) {
			if _, ok := parseRate(r.value); ok != r.rate {
				t.Errorf("as sample_rate: accepted=%v, want %v (%s)", ok, r.rate, r.why)
			}
			if _, ok := parseRand(r.value); ok != r.rand {
				t.Errorf("as sample_rand: accepted=%v, want %v (%s)", ok, r.rand, r.why)
			}
			d, _ := parseDSC("sentry-sample_rate=" + r.value + ",sentry-sample_rand=" + r.value)
			if _, ok := d.Get(dscSampleRate); ok != r.rate {
				t.Errorf("sample_rate member kept=%v, want %v", ok, r.rate)
			}
		})
	}
	t.Run("refused sample_rand is replaced, not forwarded", func(t *testing.T) {
		p := NewPropagator(WithHub(newTestHub(t, sentry.ClientOptions{})))
		ctx := p.Extract(context.Background(), propagation.MapCarrier{
			sentryTraceHeader: frontendSentryTrace,
			baggageHeader:     "sentry-sample_rate=0.5,sentry-sample_rand=0x1p-2",
		})
		out := propagation.MapCarrier{}
		p.Inject(ctx, out)
		if strings.Contains(out[baggageHeader], "0x1p") || !strings.Contains(out[baggageHeader], "sentry-sample_rand=0.") {
			t.Errorf("baggage sent on: %s", out[baggageHeader])
		}
	})
}

// TestCallersTraceStateRateIgnored checks that a W3C caller's tracestate
// member "sentry=r:..." never becomes this service's sample rate, with this
// package's sampler or OTel's.
func TestCallersTraceStateRateIgnored(t *testing.T) {
	hub := newTestHub(t, sentry.ClientOptions{TracesSampleRate: 0.5})
	p := NewPropagator(WithHub(hub))
	carrier := propagation.MapCarrier{"traceparent": otherTraceparent, "tracestate": "sentry=r:1e-300,other=1"}
	for name, sampler := range map[string]sdktrace.Sampler{
		"NewSampler":  NewSampler(WithHub(hub)),
		"ParentBased": sdktrace.ParentBased(sdktrace.AlwaysSample()),
	} {
		t.Run(name, func(t *testing.T) {
			tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler))
			defer func() { _ = tp.Shutdown(context.Background()) }()
			ctx := compositePropagator(p).Extract(context.Background(), carrier)
			ctx, span := tp.Tracer("t").Start(ctx, "GET /")
			defer span.End()
			for _, c := range []context.Context{ctx, trace.ContextWithSpanContext(ctx, span.SpanContext())} {
				out := propagation.MapCarrier{}
				compositePropagator(p).Inject(c, out)
				if !strings.Contains(out[baggageHeader], "sentry-sample_rate=0.5") {
					t.Errorf("head DSC: %s", out[baggageHeader])
				}
				if strings.Contains(out["tracestate"], "sentry=") {
					t.Errorf("the caller's rate record is passed on: %s", out["tracestate"])
				}
			}
		})
	}
}

// TestDuplicateKeysAgree checks that of two members of one key the last
// wins, as in sentry-go's and OTel Go's baggage parsers.
func TestDuplicateKeysAgree(t *testing.T) {
	const header = "sentry-release=1,sentry-environment=a,sentry-release=2,sentry-environment=b"
	d, err := parseDSC(header)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := sentry.DynamicSamplingContextFromHeader([]byte(header))
	if err != nil {
		t.Fatal(err)
	}
	otel, err := baggage.Parse(header)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{dscRelease, dscEnvironment} {
		ours, _ := d.Get(k)
		if ours != theirs.Entries[k] || ours != otel.Member(sentryPrefix+k).Value() {
			t.Errorf("%s: ours %q, sentry-go %q, OTel %q", k, ours, theirs.Entries[k], otel.Member(sentryPrefix+k).Value())
		}
	}
}
