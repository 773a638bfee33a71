package benchmarks

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// These tests check that the variants compared by the benchmarks do the
// same work on the shared fixtures, so that a benchmark never times a
// variant that silently does nothing.

func TestPropagatorsContinueTheFrontendTrace(t *testing.T) {
	for _, v := range propagatorVariants {
		t.Run(v.name, func(t *testing.T) {
			f := newPropagationFixture(t, v)
			sc := trace.SpanContextFromContext(f.prop.Extract(f.base, f.incoming))
			if !sc.IsRemote() || !sc.IsSampled() ||
				sc.TraceID().String() != frontendTraceID || sc.SpanID().String() != frontendSpanID {
				t.Errorf("Extract: span context %+v, want the frontend's sampled span %s-%s",
					sc, frontendTraceID, frontendSpanID)
			}
		})
	}
}

func TestPropagatorsInjectTheLocalSpan(t *testing.T) {
	wantHeader := map[string]string{
		"otelsentry":             "sentry-trace",
		"otel-w3c":               "traceparent",
		"sentry-go-otel-v0.46.2": "sentry-trace",
	}
	for _, v := range propagatorVariants {
		t.Run(v.name, func(t *testing.T) {
			f := newPropagationFixture(t, v)
			out := propagation.HeaderCarrier(make(http.Header))
			f.prop.Inject(f.child, out)
			child := trace.SpanContextFromContext(f.child)
			if child.IsRemote() || child.SpanID().String() == frontendSpanID {
				t.Fatalf("fixture: child span context %+v is not a local span", child)
			}
			header := out.Get(wantHeader[v.name])
			if !strings.Contains(header, frontendTraceID) || !strings.Contains(header, child.SpanID().String()) {
				t.Errorf("Inject: %s = %q, want trace %s and the local span %s",
					wantHeader[v.name], header, frontendTraceID, child.SpanID())
			}
			// Every variant passes the frontend's DSC on, its values
			// decoded or not.
			got := make(map[string]bool)
			for member := range strings.SplitSeq(out.Get("baggage"), ",") {
				got[unescape(t, member)] = true
			}
			for member := range strings.SplitSeq(baggageValue, ",") {
				if strings.HasPrefix(member, "sentry-") && !got[unescape(t, member)] {
					t.Errorf("Inject: baggage = %q, lacks %q", out.Get("baggage"), member)
				}
			}
		})
	}
}

func unescape(t *testing.T, s string) string {
	t.Helper()
	u, err := url.PathUnescape(s)
	if err != nil {
		t.Fatalf("url.PathUnescape(%q): %v", s, err)
	}
	return u
}

func TestSamplersDecideAlike(t *testing.T) {
	for _, v := range samplerVariants {
		t.Run(v.name, func(t *testing.T) {
			sampler, remote := v.setup(t)
			for _, c := range samplingCases {
				sampled := 0
				params := c.params(remote)
				for _, p := range params {
					if sampler.ShouldSample(p).Decision == sdktrace.RecordAndSample {
						sampled++
					}
				}
				got := float64(sampled) / float64(len(params))
				want, tolerance := 1.0, 0.0 // parents are sampled
				if c.name == "new-trace" {
					want, tolerance = sampleRate, 0.05
				}
				if got < want-tolerance || got > want+tolerance {
					t.Errorf("%s: sampled %d of %d, want a share of %.2f", c.name, sampled, len(params), want)
				}
			}
		})
	}
}

// TestCPUClocks checks that the clocks of cpu-ns/op and req-cpu-ns/op
// advance while this goroutine computes.
func TestCPUClocks(t *testing.T) {
	clocks := []struct {
		name string
		read func() (time.Duration, bool)
	}{
		{"process", processCPU},
		{"thread", threadCPU},
	}
	for _, c := range clocks {
		t.Run(c.name, func(t *testing.T) {
			before, ok := c.read()
			if !ok {
				t.Skipf("no %s CPU clock on this system", c.name)
			}
			after := before
			for deadline := time.Now().Add(time.Second); after == before && time.Now().Before(deadline); {
				after, _ = c.read()
			}
			if after <= before {
				t.Errorf("the %s CPU clock did not advance in a second: %v, then %v", c.name, before, after)
			}
		})
	}
}
