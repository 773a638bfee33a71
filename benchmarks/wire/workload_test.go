package wire

// The shared workload: one request of a typical service, 9 spans.
// A SERVER root with HTTP attributes, 5 database CLIENT spans,
// 2 outgoing HTTP CLIENT spans and 1 RabbitMQ PRODUCER span.

import (
	"context"
	"encoding/json"
	"os"
	"runtime/metrics"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

var (
	rootAttrs = []attribute.KeyValue{
		attribute.String("http.request.method", "POST"),
		attribute.String("url.path", "/users/reset-password"),
		attribute.String("http.route", "/users/reset-password"),
		attribute.Int("http.response.status_code", 200),
		attribute.String("server.address", "api.example.com"),
	}
	dbAttrs = []attribute.KeyValue{
		attribute.String("db.system.name", "postgresql"),
		attribute.String("db.query.text", "SELECT id, email FROM users WHERE email = $1"),
		attribute.String("db.namespace", "app"),
	}
	httpAttrs = []attribute.KeyValue{
		attribute.String("http.request.method", "GET"),
		attribute.String("url.full", "http://inventory.internal/items/42"),
		attribute.Int("http.response.status_code", 200),
	}
	mqAttrs = []attribute.KeyValue{
		attribute.String("messaging.system", "rabbitmq"),
		attribute.String("messaging.operation.type", "publish"),
		attribute.String("messaging.destination.name", "reset-password"),
		attribute.String("messaging.message.id", "b3f1c2"),
	}
)

// request runs one request's worth of spans on tracer.
func request(ctx context.Context, tr trace.Tracer) {
	ctx, root := tr.Start(ctx, "POST /users/reset-password", trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(rootAttrs...))
	for i := 0; i < 5; i++ {
		_, s := tr.Start(ctx, "SELECT app.users", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(dbAttrs...))
		s.End()
	}
	for i := 0; i < 2; i++ {
		_, s := tr.Start(ctx, "GET", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(httpAttrs...))
		s.End()
	}
	_, s := tr.Start(ctx, "reset-password publish", trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(mqAttrs...))
	s.End()
	root.End()
}

const spansPerRequest = 9

// newSentryClient returns a client as users run it: DSN at the sink, sentry-go's
// default transport. d flushes it after the TracerProvider and closes it at the end.
func (d *dest) newSentryClient(b testing.TB) *sentry.Client {
	c, err := sentry.NewClient(sentry.ClientOptions{
		Dsn:                    d.dsn,
		EnableTracing:          true,
		TracesSampleRate:       1.0,
		TraceIgnoreStatusCodes: [][]int{},
	})
	if err != nil {
		b.Fatal(err)
	}
	d.flush = append(d.flush, c.Flush)
	d.close = append(d.close, c.Close)
	return c
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rate is the offered load, requests per second (BENCH_RATE, default 1000).
func rate(b *testing.B) int {
	r := 1000
	if v := os.Getenv("BENCH_RATE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("BENCH_RATE=%q", v)
		}
		r = n
	}
	return r
}

const (
	flushTimeout = 10 * time.Second // ForceFlush, then each sentry client's Flush
	awaitLimit   = 10 * time.Second // then the sink, for the spans still on their way
	awaitStall   = 2 * time.Second  // ... unless nothing new arrives for this long
)

// runRequests offers b.N requests at a fixed rate, in bursts of BENCH_BURST
// (default 10) that start at their slot, or at once when behind, and reports:
//   - path-ns/req: time inside request(), what the request goroutines wait for
//     (mean; path-p50-ns is the median request, less moved by preemption);
//   - cpu-ns/req: the process's CPU (user+sys) from the first request until
//     the sink has what was sent, background encoding and delivery included;
//   - delivered/req: spans the sink received / (b.N*9), 1.000 = nothing lost;
//   - payload-B/req: request bodies the sink received, as sent;
//   - offered-req/s: the rate the loop actually offered;
//   - gc-cpu-ns/req and gcs/1000req: the garbage collector's share of the
//     CPU, as the runtime estimates it, and its cycles.
//
// d is nil for paths that deliver nothing (Bare, Noop).
func runRequests(b *testing.B, ctx context.Context, tp *sdktrace.TracerProvider, d *dest) {
	tr := tp.Tracer("bench")
	interval := time.Second / time.Duration(rate(b))
	burst := 10
	if v, err := strconv.Atoi(os.Getenv("BENCH_BURST")); err == nil && v > 0 {
		burst = v
	}
	each := make([]time.Duration, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	g0 := gcStats()
	c0, t0 := cpuNow(), time.Now()
	var path time.Duration
	for i := 0; i < b.N; i++ {
		// Requests come in bursts of `burst`, each burst at its slot: one
		// sleep per burst keeps the pacer's own wake-up CPU small.
		if i%burst == 0 {
			if wait := time.Until(t0.Add(time.Duration(i) * interval)); wait > 0 {
				time.Sleep(wait)
			}
		}
		s := time.Now()
		request(ctx, tr)
		each[i] = time.Since(s)
		path += each[i]
	}
	loop := time.Since(t0)
	fctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	if err := tp.ForceFlush(fctx); err != nil {
		b.Logf("ForceFlush: %v", err)
	}
	cancel()
	var st projectStats
	want := int64(b.N) * spansPerRequest
	if d != nil {
		for _, f := range d.flush {
			if !f(flushTimeout) {
				b.Logf("sentry client Flush timed out")
			}
		}
		st = d.await(b, want, awaitLimit, awaitStall)
	}
	c1 := cpuNow()
	g1 := gcStats()
	b.ReportMetric(float64(g1[0]-g0[0])*1e9/float64(b.N), "gc-cpu-ns/req")
	b.ReportMetric(float64(g1[1]-g0[1])/float64(b.N)*1000, "gcs/1000req")
	b.StopTimer()
	b.ReportMetric(float64(path.Nanoseconds())/float64(b.N), "path-ns/req")
	slices.Sort(each)
	b.ReportMetric(float64(each[len(each)/2].Nanoseconds()), "path-p50-ns")
	b.ReportMetric(float64((c1-c0).Nanoseconds())/float64(b.N), "cpu-ns/req")
	b.ReportMetric(float64(b.N)/loop.Seconds(), "offered-req/s")
	if d != nil {
		got := st.Spans + st.OTLPSpans
		b.ReportMetric(float64(got)/float64(want), "delivered/req")
		b.ReportMetric(float64(st.Bytes)/float64(b.N), "payload-B/req")
		if got != want || st.Bad != 0 {
			j, _ := json.Marshal(st)
			b.Logf("N=%d: sink got %d of %d spans: %s", b.N, got, want, j)
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	_ = tp.Shutdown(sctx)
	cancel()
	if d != nil {
		d.shutdown()
	}
}

// headers that a Sentry-instrumented frontend sends.
func incomingCarrier() propagation.MapCarrier {
	return propagation.MapCarrier{
		"sentry-trace": "771a43a4192642f0b136d5159a501700-b5f3a8f6c54a4f8e-1",
		"baggage": "other-vendor-value-1=foo;bar;baz, sentry-trace_id=771a43a4192642f0b136d5159a501700, " +
			"sentry-public_key=49d0f7386ad645858ae85020e393bef3, sentry-sample_rate=0.01337, sentry-sample_rand=0.0042, " +
			"sentry-sampled=true, sentry-release=frontend%401.2.3, sentry-environment=production, " +
			"sentry-transaction=%2Freset-password, other-vendor-value-2=foo;bar;",
		"traceparent": "00-771a43a4192642f0b136d5159a501700-b5f3a8f6c54a4f8e-01",
	}
}

// gcStats returns the CPU the garbage collector has spent, in seconds, and
// the cycles it has run.
func gcStats() [2]float64 {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}, {Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	return [2]float64{s[0].Value.Float64(), float64(s[1].Value.Uint64())}
}
