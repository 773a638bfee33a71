package benchmarks

import (
	"context"
	"net/http"
	"testing"

	"github.com/getsentry/sentry-go"
	sentryotel "github.com/getsentry/sentry-go/otel"
	"github.com/otelsentry/otelsentry"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// propagatorVariant is one propagator, with the request it understands and
// the TracerProvider that starts the local span Inject writes.
type propagatorVariant struct {
	name    string
	request func() propagation.HeaderCarrier
	// setup returns the propagator and a TracerProvider shut down at the
	// end of tb.
	setup func(tb testing.TB, hub *sentry.Hub) (propagation.TextMapPropagator, *sdktrace.TracerProvider)
}

var propagatorVariants = []propagatorVariant{
	{
		name:    "otelsentry",
		request: sentryRequest,
		setup: func(tb testing.TB, hub *sentry.Hub) (propagation.TextMapPropagator, *sdktrace.TracerProvider) {
			return otelsentry.NewPropagator(otelsentry.WithHub(hub)), bareProvider(tb)
		},
	},
	{
		name:    "otel-w3c",
		request: w3cRequest,
		setup: func(tb testing.TB, _ *sentry.Hub) (propagation.TextMapPropagator, *sdktrace.TracerProvider) {
			return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}), bareProvider(tb)
		},
	},
	{
		// sentry-go/otel's Inject looks the span up in the global span map
		// of its span processor: without the processor it would send the
		// incoming sentry-trace header, naming the caller's span.
		name:    "sentry-go-otel-v0.46.2",
		request: sentryRequest,
		setup: func(tb testing.TB, _ *sentry.Hub) (propagation.TextMapPropagator, *sdktrace.TracerProvider) {
			//lint:ignore SA1019 the deprecated propagator and processor are the anchor compared with
			return sentryotel.NewSentryPropagator(), provider(tb, sdktrace.WithSpanProcessor(sentryotel.NewSentrySpanProcessor()))
		},
	},
}

// bareProvider returns a TracerProvider with no span processor.
func bareProvider(tb testing.TB) *sdktrace.TracerProvider { return provider(tb) }

// provider returns a TracerProvider that samples every span, with the
// service's resource and opts, shut down at the end of tb.
func provider(tb testing.TB, opts ...sdktrace.TracerProviderOption) *sdktrace.TracerProvider {
	tb.Helper()
	opts = append([]sdktrace.TracerProviderOption{
		sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithResource(serviceResource(tb)),
	}, opts...)
	tp := sdktrace.NewTracerProvider(opts...)
	tb.Cleanup(func() {
		if err := tp.Shutdown(context.Background()); err != nil {
			tb.Errorf("TracerProvider.Shutdown: %v", err)
		}
	})
	return tp
}

// propagationFixture is what Extract and Inject run on.
type propagationFixture struct {
	prop     propagation.TextMapPropagator
	base     context.Context           // the request's context before Extract
	incoming propagation.HeaderCarrier // the request's headers
	child    context.Context           // after Extract, with a local client span
}

// newPropagationFixture extracts the variant's request and starts under it
// the local span of an outgoing call, ended at the end of tb. The request's
// context holds the hub, as sentry-go's HTTP middleware leaves it.
func newPropagationFixture(tb testing.TB, v propagatorVariant) *propagationFixture {
	tb.Helper()
	hub := newHub(tb, &discardTransport{}, 0.25)
	prop, tp := v.setup(tb, hub)
	f := &propagationFixture{
		prop:     prop,
		base:     sentry.SetHubOnContext(context.Background(), hub),
		incoming: v.request(),
	}
	ctx := prop.Extract(f.base, f.incoming)
	ctx, span := tp.Tracer("benchmarks").Start(ctx, mailCall.name,
		trace.WithSpanKind(mailCall.kind), trace.WithAttributes(mailCall.start...))
	tb.Cleanup(func() { span.End() })
	f.child = ctx
	return f
}

func BenchmarkExtract(b *testing.B) {
	for _, v := range propagatorVariants {
		b.Run(v.name, func(b *testing.B) {
			f := newPropagationFixture(b, v)
			b.ReportAllocs()
			for b.Loop() {
				f.prop.Extract(f.base, f.incoming)
			}
		})
	}
}

func BenchmarkInject(b *testing.B) {
	for _, v := range propagatorVariants {
		b.Run(v.name, func(b *testing.B) {
			f := newPropagationFixture(b, v)
			b.ReportAllocs()
			for b.Loop() {
				f.prop.Inject(f.child, propagation.HeaderCarrier(make(http.Header, 2)))
			}
		})
	}
}
