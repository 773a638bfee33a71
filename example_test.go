package otelsentry_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/otelsentry/otelsentry"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// newHub returns a hub whose client drops what it is given, so that the
// examples run without a Sentry.
func newHub(rate float64) *sentry.Hub {
	client, err := sentry.NewClient(sentry.ClientOptions{
		Dsn:              "https://49d0f7386ad645858ae85020e393bef3@o123.ingest.sentry.io/42",
		Release:          "backend@1.0.0",
		Environment:      "production",
		EnableTracing:    true,
		TracesSampleRate: rate,
		Transport:        noTransport{},
	})
	if err != nil {
		panic(err)
	}
	return sentry.NewHub(client, sentry.NewScope())
}

type noTransport struct{}

func (noTransport) Configure(sentry.ClientOptions)        {}
func (noTransport) SendEvent(*sentry.Event)               {}
func (noTransport) Flush(time.Duration) bool              { return true }
func (noTransport) FlushWithContext(context.Context) bool { return true }
func (noTransport) Close()                                {}

// A service continues the trace of a browser that uses Sentry's SDK, and
// passes it on, with the caller's DSC unchanged, to the services it calls.
func ExampleNewPropagator() {
	prop := propagation.NewCompositeTextMapPropagator(
		propagation.TraceContext{}, propagation.Baggage{}, otelsentry.NewPropagator(),
	)
	incoming := propagation.MapCarrier{
		"sentry-trace": "771a43a4192f422d973c112e5b424ea0-b45c7e1d2a3b4c5d-1",
		"baggage":      "sentry-trace_id=771a43a4192f422d973c112e5b424ea0,sentry-public_key=49d0f7386ad645858ae85020e393bef3,sentry-sample_rate=0.25,sentry-sample_rand=0.123456,sentry-sampled=true",
	}
	ctx := prop.Extract(context.Background(), incoming)

	sc := trace.SpanContextFromContext(ctx)
	fmt.Println("trace:", sc.TraceID(), "parent:", sc.SpanID(), "sampled:", sc.IsSampled())
	dsc, _ := otelsentry.DynamicSamplingContextFromContext(ctx)
	rand, _ := dsc.Get("sample_rand")
	fmt.Println("sample_rand:", rand)

	outgoing := propagation.MapCarrier{}
	prop.Inject(ctx, outgoing)
	fmt.Println("sentry-trace:", outgoing["sentry-trace"])
	// Output:
	// trace: 771a43a4192f422d973c112e5b424ea0 parent: b45c7e1d2a3b4c5d sampled: true
	// sample_rand: 0.123456
	// sentry-trace: 771a43a4192f422d973c112e5b424ea0-b45c7e1d2a3b4c5d-1
}

// The sampler makes one decision per trace; the propagator sends it
// downstream with the sample_rand and rate it was made with.
func ExampleNewSampler() {
	hub := newHub(0.25)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(otelsentry.NewSampler(otelsentry.WithHub(hub))))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	prop := otelsentry.NewPropagator(otelsentry.WithHub(hub))

	ctx, span := tp.Tracer("example").Start(context.Background(), "GET /")
	defer span.End()
	dsc := prop.DynamicSamplingContext(ctx)
	rate, _ := dsc.Get("sample_rate")
	rand, _ := dsc.Get("sample_rand")
	sampled, _ := dsc.Get("sampled")
	var r float64
	_, _ = fmt.Sscan(rand, &r)
	fmt.Println("sample_rate:", rate)
	fmt.Println("decision agrees with sample_rand < rate:", (r < 0.25) == span.SpanContext().IsSampled())
	fmt.Println("DSC sampled agrees:", sampled == fmt.Sprint(span.SpanContext().IsSampled()))
	// Output:
	// sample_rate: 0.25
	// decision agrees with sample_rand < rate: true
	// DSC sampled agrees: true
}

// A TracerProvider whose spans reach Sentry as transactions.
func ExampleNewSpanProcessor() {
	hub := newHub(1)
	processor := otelsentry.NewSpanProcessor(otelsentry.WithHub(hub))
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(otelsentry.NewSampler(otelsentry.WithHub(hub))),
		sdktrace.WithSpanProcessor(processor),
	)

	ctx, server := tp.Tracer("example").Start(context.Background(), "GET /users/{id}", trace.WithSpanKind(trace.SpanKindServer))
	_, query := tp.Tracer("example").Start(ctx, "SELECT users")
	query.End()
	server.End()

	// Shutdown flushes: every transaction is handed to sentry-go first.
	if err := tp.Shutdown(context.Background()); err != nil {
		fmt.Println(err)
	}
	fmt.Printf("%+v\n", processor.Stats())
	// Output:
	// {Transactions:1 Errors:0 QueueDropped:0 RateLimited:0 NetworkErrors:0 SendErrors:0 Filtered:0 SpansDropped:0 OpenSpansDropped:0 NoClient:0 StatusIgnored:0}
}

// A TracesSampler keeps every checkout and drops health checks.
func ExampleWithTracesSampler() {
	hub := newHub(0.1)
	sampler := otelsentry.NewSampler(otelsentry.WithHub(hub), otelsentry.WithTracesSampler(func(sc otelsentry.SamplingContext) float64 {
		switch sc.Name {
		case "GET /healthz":
			return 0
		case "POST /checkout":
			return 1
		}
		return 0.1
	}))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	for _, name := range []string{"GET /healthz", "POST /checkout"} {
		_, span := tp.Tracer("example").Start(context.Background(), name)
		fmt.Println(name, span.SpanContext().IsSampled())
		span.End()
	}
	// Output:
	// GET /healthz false
	// POST /checkout true
}

// Errors recorded on the spans of unsampled traces still reach Sentry.
func ExampleWithUnsampledErrors() {
	hub := newHub(0) // no trace is sampled
	processor := otelsentry.NewSpanProcessor(otelsentry.WithHub(hub), otelsentry.WithUnsampledErrors())
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(otelsentry.NewSampler(otelsentry.WithHub(hub), otelsentry.WithUnsampledErrors())),
		sdktrace.WithSpanProcessor(processor),
	)

	_, span := tp.Tracer("example").Start(context.Background(), "POST /checkout")
	span.RecordError(errors.New("card declined"))
	fmt.Println("sampled:", span.SpanContext().IsSampled())
	span.End()

	if err := tp.Shutdown(context.Background()); err != nil {
		fmt.Println(err)
	}
	fmt.Println("transactions:", processor.Stats().Transactions, "errors:", processor.Stats().Errors)
	// Output:
	// sampled: false
	// transactions: 0 errors: 1
}
