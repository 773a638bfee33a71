package otelsentry

import (
	"context"
	"sync/atomic"

	"go.opentelemetry.io/otel/trace"
)

// incoming is what the propagator extracted from a request: the remote
// parent, the decision its sentry-trace header carried, and the frozen DSC.
// It is immutable but for the lazily built baggage encoding.
type incoming struct {
	traceID  trace.TraceID
	spanID   trace.SpanID
	decision decision
	dsc      DynamicSamplingContext
	// rand is the DSC's sample_rand, in [0, 1).
	rand float64

	// encoded caches dsc's baggage encoding, built on first Inject.
	encoded atomic.Pointer[string]
}

type incomingKey struct{}

func contextWithIncoming(ctx context.Context, in *incoming) context.Context {
	return context.WithValue(ctx, incomingKey{}, in)
}

// incomingFromContext returns the incoming trace stored in ctx, if any.
func incomingFromContext(ctx context.Context) *incoming {
	in, _ := ctx.Value(incomingKey{}).(*incoming)
	return in
}

// incomingForTrace returns the incoming trace stored in ctx if it belongs to
// trace tid. An incoming trace of another trace, left in a context that has
// since been given another parent, does not apply.
func incomingForTrace(ctx context.Context, tid trace.TraceID) *incoming {
	in := incomingFromContext(ctx)
	if in == nil || in.traceID != tid {
		return nil
	}
	return in
}

// baggage returns the DSC's baggage encoding.
func (in *incoming) baggage() string {
	if p := in.encoded.Load(); p != nil {
		return *p
	}
	s := in.dsc.String()
	in.encoded.Store(&s)
	return s
}
