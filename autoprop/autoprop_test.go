package autoprop_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/contrib/propagators/autoprop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	_ "github.com/otelsentry/otelsentry/autoprop"
)

const (
	sentryTrace = "771a43a4192f422d973c112e5b424ea0-b45c7e1d2a3b4c5d-1"
	baggage     = "sentry-trace_id=771a43a4192f422d973c112e5b424ea0,sentry-sample_rate=0.25,sentry-sample_rand=0.1"
	traceparent = "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01"
)

// TestOTELPropagators selects the propagator with OTEL_PROPAGATORS, alone
// and after the W3C ones.
func TestOTELPropagators(t *testing.T) {
	for _, tt := range []struct {
		env       string
		fields    []string
		wantTrace string // the trace id a request with both headers continues
	}{
		{env: "sentry", fields: []string{"sentry-trace", "baggage"}, wantTrace: "771a43a4192f422d973c112e5b424ea0"},
		{env: "tracecontext,baggage,sentry", fields: []string{"traceparent", "tracestate", "baggage", "sentry-trace"}, wantTrace: "771a43a4192f422d973c112e5b424ea0"},
	} {
		t.Run(tt.env, func(t *testing.T) {
			t.Setenv("OTEL_PROPAGATORS", tt.env)
			p := autoprop.NewTextMapPropagator()
			for _, f := range tt.fields {
				if !contains(p.Fields(), f) {
					t.Errorf("Fields() = %v, missing %s", p.Fields(), f)
				}
			}
			ctx := p.Extract(context.Background(), propagation.MapCarrier{
				"sentry-trace": sentryTrace, "baggage": baggage, "traceparent": traceparent,
			})
			if got := trace.SpanContextFromContext(ctx).TraceID().String(); got != tt.wantTrace {
				t.Errorf("continued trace %s, want %s", got, tt.wantTrace)
			}
			out := propagation.MapCarrier{}
			p.Inject(ctx, out)
			if out["sentry-trace"] != sentryTrace {
				t.Errorf("sentry-trace sent on: %q", out["sentry-trace"])
			}
		})
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
