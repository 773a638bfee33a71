package otelsentry

import (
	"context"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// TestRequestPathDoesNotBlock runs 8 goroutines at 2000 requests a second
// in all, 9 spans a request, with the block profile on: the time request
// goroutines spent waiting on the processor's locks must stay under a
// millisecond in all.
func TestRequestPathDoesNotBlock(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's slowdown is not the code's: scripts/test.sh runs this without it")
	}
	srv := newWireServer(t)
	c, err := sentry.NewClient(sentry.ClientOptions{Dsn: srv.dsn(), EnableTracing: true, TracesSampleRate: 1})
	if err != nil {
		t.Fatal(err)
	}
	hub := sentry.NewHub(c, sentry.NewScope())
	proc := NewSpanProcessor(WithHub(hub))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(NewSampler(WithHub(hub))), sdktrace.WithSpanProcessor(proc))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	tracer := tp.Tracer("t")

	runtime.SetBlockProfileRate(1)
	defer runtime.SetBlockProfileRate(0)
	const goroutines, perGoroutine = 8, 250 // 2000 requests in a second
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(time.Second / perGoroutine)
			defer tick.Stop()
			for range perGoroutine {
				<-tick.C
				ctx, root := tracer.Start(context.Background(), "GET /", trace.WithSpanKind(trace.SpanKindServer))
				for range 8 {
					_, s := tracer.Start(ctx, "child")
					s.End()
				}
				root.End()
			}
		}()
	}
	wg.Wait()
	runtime.SetBlockProfileRate(0)

	var total time.Duration
	var worst string
	for _, r := range blockRecords() {
		if !strings.Contains(r.stack, "otelsentry.(*SpanProcessor).On") {
			continue
		}
		total += r.delay
		if worst == "" {
			worst = r.stack
		}
	}
	if total > time.Millisecond {
		t.Errorf("request goroutines waited %v on the processor; first stack:\n%s", total, worst)
	}
}

type blockRecord struct {
	delay time.Duration
	stack string
}

// blockRecords reads the block profile.
func blockRecords() []blockRecord {
	n, _ := runtime.BlockProfile(nil)
	recs := make([]runtime.BlockProfileRecord, n+50)
	n, ok := runtime.BlockProfile(recs)
	if !ok {
		return nil
	}
	var out []blockRecord
	for _, r := range recs[:n] {
		var b strings.Builder
		frames := runtime.CallersFrames(r.Stack())
		for {
			f, more := frames.Next()
			b.WriteString(f.Function)
			b.WriteByte('\n')
			if !more {
				break
			}
		}
		out = append(out, blockRecord{delay: time.Duration(float64(r.Cycles) / cyclesPerNanosecond()), stack: b.String()})
	}
	return out
}

// cyclesPerNanosecond is what the block profile's cycles are worth; the
// profile is written in nanoseconds by pprof from the same ratio.
func cyclesPerNanosecond() float64 {
	var b strings.Builder
	_ = pprof.Lookup("block").WriteTo(&b, 1)
	for _, line := range strings.Split(b.String(), "\n") {
		if v, ok := strings.CutPrefix(line, "cycles/second="); ok {
			var f float64
			for _, c := range v {
				if c < '0' || c > '9' {
					break
				}
				f = f*10 + float64(c-'0')
			}
			if f > 0 {
				return f / 1e9
			}
		}
	}
	return 1
}
