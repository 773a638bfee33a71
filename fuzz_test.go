package otelsentry

import (
	"context"
	"strings"
	"testing"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

func addPropagatorSeeds(f *testing.F) {
	for _, v := range sentryTraceVectors {
		f.Add(v.header, frontendBaggage)
	}
	for _, v := range baggageVectors {
		f.Add(frontendSentryTrace, v.header)
	}
	f.Add(frontendSentryTrace, strings.Repeat("sentry-a=%", 100))
	f.Add(strings.Repeat(",", 1000), strings.Repeat("=;,", 1000))
}

// FuzzExtract feeds arbitrary headers to Extract: it must never panic, must
// leave the context alone when sentry-trace is invalid, and what it accepts
// must survive an Inject and Extract unchanged.
func FuzzExtract(f *testing.F) {
	addPropagatorSeeds(f)
	p := NewPropagator()
	f.Fuzz(func(t *testing.T, sentryTrace, bag string) {
		parent := context.Background()
		ctx := p.Extract(parent, propagation.MapCarrier{sentryTraceHeader: sentryTrace, baggageHeader: bag})
		_, _, dec, err := parseSentryTrace(sentryTrace)
		if err != nil {
			if ctx != parent {
				t.Fatalf("invalid header %q changed the context", sentryTrace)
			}
			return
		}
		in := incomingFromContext(ctx)
		if in == nil {
			return // another organization
		}
		if in.dsc.Len() > maxDSCMembers+len(sentryDSCKeys) {
			t.Fatalf("kept %d members", in.dsc.Len())
		}
		out := propagation.MapCarrier{}
		p.Inject(ctx, out)
		if len(out[baggageHeader]) > maxBaggageBytes {
			t.Fatalf("baggage of %d bytes", len(out[baggageHeader]))
		}
		ctx2 := p.Extract(context.Background(), out)
		in2 := incomingFromContext(ctx2)
		if in2 == nil || in2.decision != dec {
			t.Fatalf("round trip lost the decision of %q", sentryTrace)
		}
		if !trace.SpanContextFromContext(ctx).Equal(trace.SpanContextFromContext(ctx2)) {
			t.Fatal("round trip changed the span context")
		}
		// Members dropped for size are the only ones allowed to go.
		for k, v := range in2.dsc.All() {
			if got, ok := in.dsc.Get(k); !ok || got != v {
				t.Fatalf("round trip changed %s: %q -> %q", k, got, v)
			}
		}
		if len(in.dsc.String()) < maxBaggageBytes-maxMemberBytes && in2.dsc.Len() != in.dsc.Len() {
			t.Fatalf("round trip lost members: %d -> %d", in.dsc.Len(), in2.dsc.Len())
		}
	})
}

// FuzzBaggageRoundTrip checks that any DSC value, encoded and parsed again,
// comes back the same, and that parsing arbitrary baggage never panics.
func FuzzBaggageRoundTrip(f *testing.F) {
	for _, v := range baggageVectors {
		f.Add(v.header, "value")
	}
	f.Add("", "caf\u00e9 %20,;=\xff")
	f.Fuzz(func(t *testing.T, header, value string) {
		d, _ := parseDSC(header)
		again, err := parseDSC(d.String())
		if err != nil || !equalPairs(dscPairs(again), dscPairs(d)) {
			t.Fatalf("parse(String()) = %v, %v; want %v", dscPairs(again), err, dscPairs(d))
		}
		one := DynamicSamplingContext{members: []dscMember{{key: "release", value: value}}}
		enc := one.String()
		if encodedMemberLen(one.members[0]) > maxMemberBytes {
			if enc != "" {
				t.Fatalf("a member of %d bytes was written", len(enc))
			}
			return // dropped whole for size
		}
		back, err := parseDSC(enc)
		if err != nil {
			t.Fatalf("parse(%q): %v", enc, err)
		}
		if got, _ := back.Get("release"); got != value {
			t.Fatalf("value %q came back as %q via %q", value, got, enc)
		}
	})
}

// FuzzCompositeExtractInject sends arbitrary sentry-trace, baggage,
// traceparent and tracestate headers through the README's composite
// (TraceContext, Baggage, this propagator), then injects what was
// extracted. What goes out must be valid W3C and Sentry headers: baggage of
// at most 8192 bytes that OTel parses, no CR, LF or NUL anywhere. What is
// kept must be bounded and must not hold the incoming headers.
func FuzzCompositeExtractInject(f *testing.F) {
	for _, v := range sentryTraceVectors {
		f.Add(v.header, frontendBaggage, otherTraceparent, "a=1")
	}
	for _, v := range baggageVectors {
		f.Add(frontendSentryTrace, v.header, "", "")
	}
	f.Add(frontendSentryTrace, "sentry-org_id=999", otherTraceparent, "sentry=r:1e-300")
	f.Add("", "sentry-sample_rand=0x1p-2,sentry-sample_rate=+0.5", otherTraceparent, "")
	f.Add(frontendSentryTrace, strings.Repeat("sentry-a=b,", 800), "", strings.Repeat(",", 9000))
	f.Add(frontendSentryTrace, "k=v\r\nx: y,sentry-release=a%0D%0Ab%00", "", "")
	hub := sentry.NewHub(nil, sentry.NewScope())
	if c, err := sentry.NewClient(sentry.ClientOptions{Dsn: testDSN, EnableTracing: true, TracesSampleRate: 1, Transport: &discardTransport{}}); err == nil {
		hub.BindClient(c)
	}
	p := NewPropagator(WithHub(hub))
	comp := compositePropagator(p)
	f.Fuzz(func(t *testing.T, sentryTrace, bag, traceparent, tracestate string) {
		in := propagation.MapCarrier{sentryTraceHeader: sentryTrace, baggageHeader: bag, "traceparent": traceparent, "tracestate": tracestate}
		ctx := comp.Extract(context.Background(), in)
		if inc := incomingFromContext(ctx); inc != nil {
			if n := len(inc.dsc.String()); n > maxBaggageBytes {
				t.Fatalf("frozen DSC of %d bytes", n)
			}
			for k, v := range inc.dsc.All() {
				for _, h := range []string{sentryTrace, bag, traceparent, tracestate} {
					if pointsInto(k, h) || pointsInto(v, h) {
						t.Fatalf("frozen member %q=%q holds an incoming header", k, v)
					}
				}
			}
		}
		out := propagation.MapCarrier{}
		comp.Inject(ctx, out)
		for k, v := range out {
			if strings.ContainsAny(v, "\r\n\x00") {
				t.Fatalf("%s header holds CR, LF or NUL: %q", k, v)
			}
		}
		if v, ok := out[sentryTraceHeader]; ok {
			if _, _, _, err := parseSentryTrace(v); err != nil {
				t.Fatalf("sentry-trace %q: %v", v, err)
			}
		}
		if v, ok := out["traceparent"]; ok {
			sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier{"traceparent": v}))
			if !sc.IsValid() {
				t.Fatalf("traceparent %q is invalid", v)
			}
		}
		if v := out[baggageHeader]; v != "" {
			if len(v) > maxBaggageBytes {
				t.Fatalf("baggage of %d bytes", len(v))
			}
			if _, err := baggage.Parse(v); err != nil {
				t.Fatalf("baggage %q: %v", v, err)
			}
		}
	})
}
