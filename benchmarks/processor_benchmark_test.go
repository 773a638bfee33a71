package benchmarks

import (
	"context"
	"runtime"
	"testing"

	"github.com/getsentry/sentry-go"
	sentryotel "github.com/getsentry/sentry-go/otel"
	"github.com/otelsentry/otelsentry"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// processorVariant is one way of handling the spans of resetPasswordRequest.
type processorVariant struct {
	name string
	// setup returns a pipeline ready for the given number of requests:
	// queues are sized so that none of them is dropped while the request
	// loop outruns a background worker.
	setup func(tb testing.TB, requests int) *pipeline
}

// pipeline is a TracerProvider with its processor and what it delivers to.
type pipeline struct {
	tp  *sdktrace.TracerProvider
	ctx context.Context // the context requests start from
	// check reports an error unless exactly the spans of requests were
	// delivered, after a flush.
	check func(tb testing.TB, requests int)
	// payload returns the bytes encoded so far: JSON for Sentry, protobuf
	// for OTLP. Nil for a pipeline that encodes nothing.
	payload func() int64
	// event returns the event its Sentry transport was given last. Nil for
	// a pipeline that sends no Sentry events.
	event func() *sentry.Event
}

var processorVariants = []processorVariant{
	{name: "bare-sdk", setup: bareSDKPipeline},
	{name: "noop-processor", setup: noopProcessorPipeline},
	{name: "otelsentry-without-client", setup: otelsentryWithoutClientPipeline},
	{name: "otelsentry", setup: otelsentryPipeline},
	{name: "sentry-go-otel-v0.46.2", setup: sentryOtelPipeline},
	{name: "otlp-batch-protobuf", setup: otlpPipeline},
}

func bareSDKPipeline(tb testing.TB, _ int) *pipeline {
	return &pipeline{
		tp:    bareProvider(tb),
		ctx:   context.Background(),
		check: func(testing.TB, int) {},
	}
}

// noopProcessorPipeline has a span processor that does nothing: what the
// SDK costs once any processor is registered (it snapshots each span that
// ends).
func noopProcessorPipeline(tb testing.TB, _ int) *pipeline {
	return &pipeline{
		tp:    provider(tb, sdktrace.WithSpanProcessor(noopProcessor{})),
		ctx:   context.Background(),
		check: func(testing.TB, int) {},
	}
}

// noopProcessor is a span processor that does nothing.
type noopProcessor struct{}

func (noopProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (noopProcessor) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (noopProcessor) Shutdown(context.Context) error                  { return nil }
func (noopProcessor) ForceFlush(context.Context) error                { return nil }

// otelsentryWithoutClientPipeline runs otelsentry with a hub that has no
// client bound: its worker drops each transaction before mapping it, which
// leaves OnStart and OnEnd, the processor's work on the request goroutine.
func otelsentryWithoutClientPipeline(tb testing.TB, requests int) *pipeline {
	hub := sentry.NewHub(nil, sentry.NewScope())
	p := otelsentry.NewSpanProcessor(otelsentry.WithHub(hub),
		otelsentry.WithQueueSize(max(otelsentry.DefaultQueueSize, requests)))
	return &pipeline{
		tp:  provider(tb, sdktrace.WithSpanProcessor(p)),
		ctx: context.Background(),
		check: func(tb testing.TB, requests int) {
			tb.Helper()
			if s := p.Stats(); s.NoClient != uint64(requests) || s.QueueDropped != 0 {
				tb.Errorf("otelsentry without a client: Stats() = %+v, want every one of %d transactions dropped for no client", s, requests)
			}
		},
	}
}

// otelsentryPipeline sends from otelsentry's worker goroutine.
func otelsentryPipeline(tb testing.TB, requests int) *pipeline {
	transport := &discardTransport{encode: true}
	hub := newHub(tb, transport, 1)
	p := otelsentry.NewSpanProcessor(otelsentry.WithHub(hub),
		otelsentry.WithQueueSize(max(otelsentry.DefaultQueueSize, requests)))
	return &pipeline{
		tp:  provider(tb, sdktrace.WithSpanProcessor(p)),
		ctx: sentry.SetHubOnContext(context.Background(), hub),
		check: func(tb testing.TB, requests int) {
			tb.Helper()
			if s := p.Stats(); s.QueueDropped+s.SpansDropped+s.OpenSpansDropped+s.NoClient != 0 {
				tb.Errorf("otelsentry dropped: %+v", s)
			}
			checkTransport(tb, transport, requests)
		},
		payload: transport.bytes.Load,
		event:   transport.last.Load,
	}
}

// sentryOtelPipeline sends from the request goroutine: sentry-go-otel
// finishes a sentry-go transaction when the root span ends, and sentry-go
// hands it to the transport there.
func sentryOtelPipeline(tb testing.TB, _ int) *pipeline {
	transport := &discardTransport{encode: true}
	hub := newHub(tb, transport, 1)
	return &pipeline{
		//lint:ignore SA1019 the deprecated processor is the anchor compared with
		tp:  provider(tb, sdktrace.WithSpanProcessor(sentryotel.NewSentrySpanProcessor())),
		ctx: sentry.SetHubOnContext(context.Background(), hub),
		check: func(tb testing.TB, requests int) {
			tb.Helper()
			checkTransport(tb, transport, requests)
		},
		payload: transport.bytes.Load,
		event:   transport.last.Load,
	}
}

// otlpPipeline exports from the batch span processor's goroutine.
func otlpPipeline(tb testing.TB, requests int) *pipeline {
	tb.Helper()
	client := &protobufClient{}
	exp, err := otlptrace.New(context.Background(), client)
	if err != nil {
		tb.Fatalf("otlptrace.New: %v", err)
	}
	bsp := sdktrace.NewBatchSpanProcessor(exp,
		sdktrace.WithMaxQueueSize(max(sdktrace.DefaultMaxQueueSize, requests*requestSpans)))
	return &pipeline{
		tp:  provider(tb, sdktrace.WithSpanProcessor(bsp)),
		ctx: context.Background(),
		check: func(tb testing.TB, requests int) {
			tb.Helper()
			if got, want := client.spans.Load(), int64(requests*requestSpans); got != want {
				tb.Errorf("OTLP client got %d spans, want %d", got, want)
			}
		},
		payload: client.bytes.Load,
	}
}

// checkTransport reports an error unless transport JSON-encoded one
// transaction per request, each with the request's child spans.
func checkTransport(tb testing.TB, transport *discardTransport, requests int) {
	tb.Helper()
	if n := transport.failed.Load(); n != 0 {
		tb.Errorf("json.Marshal failed for %d events", n)
	}
	if got := transport.events.Load(); got != int64(requests) {
		tb.Errorf("transport got %d events, want %d", got, requests)
	}
	if got, want := transport.spans.Load(), int64(requests*(requestSpans-1)); got != want {
		tb.Errorf("transport got %d child spans, want %d", got, want)
	}
}

// BenchmarkProcessor runs resetPasswordRequest through each pipeline.
//
// ns/op is the time on the request goroutine and req-cpu-ns/op its CPU
// time: the difference is time it waited while background work or the
// garbage collector held the CPU. cpu-ns/op is the CPU time of the whole
// process from the first request to the end of a final flush, background
// workers, JSON or protobuf encoding and garbage collection included. B/op
// and allocs/op are counted over the same window, for every goroutine.
// payload-B/op is the JSON or protobuf made per request.
func BenchmarkProcessor(b *testing.B) {
	for _, v := range processorVariants {
		b.Run(v.name, func(b *testing.B) {
			b.ReportAllocs()
			p := v.setup(b, b.N)
			tracer := p.tp.Tracer("github.com/otelsentry/otelsentry/benchmarks")
			runtime.LockOSThread() // so that threadCPU is the request loop's
			defer runtime.UnlockOSThread()
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			cpuBefore, cpuOK := processCPU()
			reqBefore, reqOK := threadCPU()
			b.ResetTimer()
			for range b.N {
				serve(p.ctx, tracer, &resetPasswordRequest)
			}
			reqAfter, _ := threadCPU()
			b.StopTimer()
			if err := p.tp.ForceFlush(p.ctx); err != nil {
				b.Fatalf("ForceFlush: %v", err)
			}
			cpuAfter, _ := processCPU()
			runtime.ReadMemStats(&after)
			n := float64(b.N)
			if reqOK {
				b.ReportMetric(float64(reqAfter-reqBefore)/n, "req-cpu-ns/op")
			}
			if cpuOK {
				b.ReportMetric(float64(cpuAfter-cpuBefore)/n, "cpu-ns/op")
			}
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/n, "B/op")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/op")
			if p.payload != nil {
				b.ReportMetric(float64(p.payload())/n, "payload-B/op")
			}
			p.check(b, b.N)
		})
	}
}
