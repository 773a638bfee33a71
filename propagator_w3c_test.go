package otelsentry

import (
	"context"
	"strings"
	"testing"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// One propagator does the whole job: Sentry's headers first, the W3C ones
// when they are absent.

// TestW3CCallerContinued: a caller that sends only traceparent, tracestate
// and W3C baggage (a plain OpenTelemetry service, which passes the sentry-
// members on) is continued by NewPropagator alone, and the sentry- members
// of its baggage are frozen as the trace's DSC.
func TestW3CCallerContinued(t *testing.T) {
	p := NewPropagator(WithHub(newTestHub(t, sentry.ClientOptions{})))
	ctx := p.Extract(context.Background(), propagation.MapCarrier{
		"traceparent": otherTraceparent, "tracestate": "vendor=x,sentry=r:0.5",
		baggageHeader: "vendor=1,sentry-trace_id=" + otherTraceHex + ",sentry-sample_rate=0.5,sentry-sample_rand=0.2,sentry-release=web%401.0",
	})
	sc := trace.SpanContextFromContext(ctx)
	if sc.TraceID().String() != otherTraceHex || sc.SpanID().String() != otherSpanHex || !sc.IsSampled() || !sc.IsRemote() {
		t.Fatalf("span context %v", sc)
	}
	if ts := sc.TraceState().String(); ts != "vendor=x" {
		t.Errorf("tracestate %q: want the caller's, without its sentry rate", ts)
	}
	d, ok := DynamicSamplingContextFromContext(ctx)
	if rel, _ := d.Get(dscRelease); !ok || rel != "web@1.0" {
		t.Errorf("DSC %v not frozen from W3C baggage", dscPairs(d))
	}
	out := propagation.MapCarrier{}
	p.Inject(ctx, out)
	if out[sentryTraceHeader] != otherTraceHex+"-"+otherSpanHex+"-1" || !strings.Contains(out[baggageHeader], "sentry-release=web@1.0") {
		t.Errorf("sent on %v", out)
	}

	t.Run("without sentry- members: a head DSC of this service", func(t *testing.T) {
		ctx := p.Extract(context.Background(), propagation.MapCarrier{"traceparent": otherTraceparent})
		if trace.SpanContextFromContext(ctx).TraceID().String() != otherTraceHex {
			t.Fatal("not continued")
		}
		if _, ok := DynamicSamplingContextFromContext(ctx); ok {
			t.Error("an empty DSC was frozen for a W3C caller")
		}
		out := propagation.MapCarrier{}
		p.Inject(ctx, out)
		if !strings.Contains(out[baggageHeader], "sentry-public_key=") || !strings.Contains(out[baggageHeader], "sentry-trace_id="+otherTraceHex) {
			t.Errorf("head DSC %q", out[baggageHeader])
		}
	})
	t.Run("malformed traceparent changes nothing", func(t *testing.T) {
		for _, tp := range []string{"00-" + otherTraceHex + "-" + otherSpanHex, "ff-" + otherTraceHex + "-" + otherSpanHex + "-01",
			"00-" + strings.ToUpper(otherTraceHex) + "-" + otherSpanHex + "-01", "00-00000000000000000000000000000000-" + otherSpanHex + "-01",
			"00-" + otherTraceHex + "-" + otherSpanHex + "-01-extra"} {
			parent := context.Background()
			if ctx := p.Extract(parent, propagation.MapCarrier{"traceparent": tp}); ctx != parent {
				t.Errorf("%q changed the context", tp)
			}
		}
		if ctx := p.Extract(context.Background(), propagation.MapCarrier{"traceparent": "01-" + otherTraceHex + "-" + otherSpanHex + "-01-future"}); !trace.SpanContextFromContext(ctx).IsValid() {
			t.Error("a later version with more parts was refused")
		}
	})
}

// TestSentryTraceWinsAlone: with both headers, of different traces,
// NewPropagator alone joins sentry-trace's trace, and everything it sends
// on is of that one trace.
func TestSentryTraceWinsAlone(t *testing.T) {
	p := NewPropagator(WithHub(newTestHub(t, sentry.ClientOptions{})), WithTraceparent())
	ctx := p.Extract(context.Background(), propagation.MapCarrier{
		sentryTraceHeader: frontendSentryTrace, baggageHeader: frontendBaggage, "traceparent": otherTraceparent,
	})
	if trace.SpanContextFromContext(ctx).TraceID().String() != goldenTraceHex {
		t.Fatal("the traceparent's trace won")
	}
	out := propagation.MapCarrier{}
	p.Inject(ctx, out)
	if !strings.HasPrefix(out[sentryTraceHeader], goldenTraceHex) || !strings.Contains(out["traceparent"], goldenTraceHex) ||
		!strings.Contains(out[baggageHeader], "sentry-trace_id="+goldenTraceHex) {
		t.Errorf("sent on headers of two traces: %v", out)
	}
}

// TestTraceparentWritten: traceparent goes out with WithTraceparent or the
// client's PropagateTraceparent, of the same trace and span as
// sentry-trace; not by default.
func TestTraceparentWritten(t *testing.T) {
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: goldenTraceID, SpanID: goldenSpanID, TraceFlags: trace.FlagsSampled})
	ctx := trace.ContextWithSpanContext(context.Background(), sc)
	for _, tt := range []struct {
		name string
		p    Propagator
		want bool
	}{
		{"default", NewPropagator(WithHub(newTestHub(t, sentry.ClientOptions{}))), false},
		{"WithTraceparent", NewPropagator(WithHub(newTestHub(t, sentry.ClientOptions{})), WithTraceparent()), true},
		{"PropagateTraceparent", NewPropagator(WithHub(newTestHub(t, sentry.ClientOptions{PropagateTraceparent: true}))), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := propagation.MapCarrier{}
			tt.p.Inject(ctx, out)
			got, ok := out["traceparent"]
			if ok != tt.want || ok && got != "00-"+goldenTraceHex+"-"+goldenSpanHex+"-01" {
				t.Errorf("traceparent %q (written %v)", got, ok)
			}
			if tt.want {
				back := propagation.TraceContext{}.Extract(context.Background(), out)
				if trace.SpanContextFromContext(back).SpanID() != goldenSpanID {
					t.Error("OTel's TraceContext does not read it back")
				}
			}
		})
	}
}
