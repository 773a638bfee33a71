package otelsentry

import (
	"context"
	"strings"
	"testing"

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
		if in.dsc.Len() > maxDSCMembers {
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
