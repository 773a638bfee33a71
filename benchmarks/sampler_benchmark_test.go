package benchmarks

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/otelsentry/otelsentry"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// sampleRate is the TracesSampleRate of the client and the ratio of the
// OpenTelemetry sampler.
const sampleRate = 0.25

// samplerVariant is one sampler, with the propagator whose extracted
// context its remote-parent case starts from.
type samplerVariant struct {
	name  string
	setup func(tb testing.TB) (sampler sdktrace.Sampler, remoteParent context.Context)
}

var samplerVariants = []samplerVariant{
	{
		name: "otelsentry",
		setup: func(tb testing.TB) (sdktrace.Sampler, context.Context) {
			hub := newHub(tb, &discardTransport{}, sampleRate)
			remote := otelsentry.NewPropagator(otelsentry.WithHub(hub)).Extract(context.Background(), sentryRequest())
			return otelsentry.NewSampler(otelsentry.WithHub(hub)), remote
		},
	},
	{
		name: "parentbased-traceidratio",
		setup: func(testing.TB) (sdktrace.Sampler, context.Context) {
			w3c := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
			remote := w3c.Extract(context.Background(), w3cRequest())
			return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(sampleRate)), remote
		},
	},
}

// samplingCase is one kind of span the sampler is asked about. params
// returns the parameters the benchmark cycles through.
type samplingCase struct {
	name   string
	params func(remoteParent context.Context) []sdktrace.SamplingParameters
}

// newTraceIDs are the random trace ids the new-trace case cycles through,
// so that both decisions occur as in a real service.
var newTraceIDs = func() []trace.TraceID {
	r := rand.New(rand.NewPCG(1, 2))
	ids := make([]trace.TraceID, 1024)
	for i := range ids {
		for j := range ids[i] {
			ids[i][j] = byte(r.Uint32())
		}
	}
	return ids
}()

var samplingCases = []samplingCase{
	{
		// The server span of a request that brought no trace.
		name: "new-trace",
		params: func(context.Context) []sdktrace.SamplingParameters {
			ps := make([]sdktrace.SamplingParameters, len(newTraceIDs))
			for i, id := range newTraceIDs {
				ps[i] = sdktrace.SamplingParameters{
					ParentContext: context.Background(),
					TraceID:       id,
					Name:          resetPasswordRequest.name,
					Kind:          resetPasswordRequest.kind,
					Attributes:    resetPasswordRequest.start,
				}
			}
			return ps
		},
	},
	{
		// The server span of the frontend's request, after Extract.
		name: "remote-parent",
		params: func(remote context.Context) []sdktrace.SamplingParameters {
			return []sdktrace.SamplingParameters{{
				ParentContext: remote,
				TraceID:       trace.SpanContextFromContext(remote).TraceID(),
				Name:          resetPasswordRequest.name,
				Kind:          resetPasswordRequest.kind,
				Attributes:    resetPasswordRequest.start,
			}}
		},
	},
	{
		// A database span under the sampled server span.
		name: "local-parent",
		params: func(context.Context) []sdktrace.SamplingParameters {
			parent := trace.NewSpanContext(trace.SpanContextConfig{
				TraceID:    newTraceIDs[0],
				SpanID:     trace.SpanID{0x5a, 0x1c, 0x3e, 0x7d, 0x29, 0x4b, 0x6f, 0x80},
				TraceFlags: trace.FlagsSampled,
			})
			child := resetPasswordRequest.children[0]
			return []sdktrace.SamplingParameters{{
				ParentContext: trace.ContextWithSpanContext(context.Background(), parent),
				TraceID:       parent.TraceID(),
				Name:          child.name,
				Kind:          child.kind,
				Attributes:    child.start,
			}}
		},
	},
}

func BenchmarkShouldSample(b *testing.B) {
	for _, c := range samplingCases {
		b.Run(c.name, func(b *testing.B) {
			for _, v := range samplerVariants {
				b.Run(v.name, func(b *testing.B) {
					sampler, remote := v.setup(b)
					params := c.params(remote)
					b.ReportAllocs()
					i := 0
					for b.Loop() {
						sampler.ShouldSample(params[i])
						if i++; i == len(params) {
							i = 0
						}
					}
				})
			}
		})
	}
}
