package benchmarks

import (
	"context"
	"flag"
	"runtime"
	"testing"

	"github.com/getsentry/sentry-go"
	sentryotel "github.com/getsentry/sentry-go/otel"
	"github.com/otelsentry/otelsentry"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// neverEnded is the number of roots TestNeverEndedSpansMemory starts, each
// with a child that never ends; 0 skips the test, which takes a while and,
// for sentry-go-otel, a lot of memory. The figures in RESULTS.md come from
//
//	go test -run TestNeverEndedSpansMemory -v -neverended 200000 .
var neverEnded = flag.Int("neverended", 0, "roots with a never-ended child for TestNeverEndedSpansMemory; 0 skips it")

// TestNeverEndedSpansMemory measures, side by side, how much heap each
// processor keeps for spans that never end.
func TestNeverEndedSpansMemory(t *testing.T) {
	if *neverEnded == 0 {
		t.Skip("set -neverended N to run")
	}
	variants := []struct {
		name      string
		processor func(hub *sentry.Hub) sdktrace.SpanProcessor
	}{
		{"otelsentry", func(hub *sentry.Hub) sdktrace.SpanProcessor {
			return otelsentry.NewSpanProcessor(otelsentry.WithHub(hub))
		}},
		{"sentry-go-otel-v0.46.2", func(*sentry.Hub) sdktrace.SpanProcessor {
			//lint:ignore SA1019 the deprecated processor is the anchor compared with
			return sentryotel.NewSentrySpanProcessor()
		}},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			hub := newHub(t, &discardTransport{}, 1)
			tp := provider(t, sdktrace.WithSpanProcessor(v.processor(hub)))
			tracer := tp.Tracer("github.com/otelsentry/otelsentry/benchmarks")
			ctx := sentry.SetHubOnContext(context.Background(), hub)
			before := heapInUse()
			for range *neverEnded {
				rctx, root := tracer.Start(ctx, "GET /jobs/{id}")
				tracer.Start(rctx, "never ends")
				root.End()
			}
			if err := tp.ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: heap grew by %.1f MiB for %d roots with a never-ended child",
				v.name, float64(int64(heapInUse())-int64(before))/(1<<20), *neverEnded)
		})
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
