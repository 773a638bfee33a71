package benchmarks

import (
	"encoding/json"
	"testing"

	"github.com/getsentry/sentry-go"
)

// encodeVariant is a transaction event of resetPasswordRequest.
type encodeVariant struct {
	name  string
	event func(tb testing.TB) *sentry.Event
}

var encodeVariants = []encodeVariant{
	{"otelsentry", func(tb testing.TB) *sentry.Event { return sentEvent(tb, otelsentryPipeline) }},
	{"otelsentry-without-data", func(tb testing.TB) *sentry.Event {
		return withoutData(sentEvent(tb, otelsentryPipeline))
	}},
	{"sentry-go-otel-v0.46.2", func(tb testing.TB) *sentry.Event { return sentEvent(tb, sentryOtelPipeline) }},
}

// sentEvent runs resetPasswordRequest through the pipeline setup makes and
// returns the transaction its transport was given, as sentry-go prepared it.
func sentEvent(tb testing.TB, setup func(testing.TB, int) *pipeline) *sentry.Event {
	tb.Helper()
	p := setup(tb, 1)
	serve(p.ctx, p.tp.Tracer("github.com/otelsentry/otelsentry/benchmarks"), &resetPasswordRequest)
	if err := p.tp.ForceFlush(p.ctx); err != nil {
		tb.Fatalf("ForceFlush: %v", err)
	}
	p.check(tb, 1)
	ev := p.event()
	if ev == nil || ev.Type != "transaction" {
		tb.Fatalf("the transport was given %+v, want a transaction", ev)
	}
	return ev
}

// withoutData returns a copy of the transaction ev whose spans and trace
// context have no data, and which has no OpenTelemetry context: what is left
// for sentry-go to encode by any mapping that sends the same spans with
// their ids, op, description, status and timestamps.
func withoutData(ev *sentry.Event) *sentry.Event {
	out := *ev
	out.Contexts = make(map[string]sentry.Context, len(ev.Contexts))
	for k, c := range ev.Contexts {
		switch k {
		case "otel":
			continue
		case "trace":
			trace := make(sentry.Context, len(c))
			for ck, v := range c {
				if ck != "data" {
					trace[ck] = v
				}
			}
			c = trace
		}
		out.Contexts[k] = c
	}
	out.Spans = make([]*sentry.Span, len(ev.Spans))
	for i, s := range ev.Spans {
		out.Spans[i] = &sentry.Span{
			TraceID:      s.TraceID,
			SpanID:       s.SpanID,
			ParentSpanID: s.ParentSpanID,
			Op:           s.Op,
			Description:  s.Description,
			Status:       s.Status,
			StartTime:    s.StartTime,
			EndTime:      s.EndTime,
			Origin:       s.Origin,
		}
	}
	return &out
}

// BenchmarkEncode times what sentry-go's HTTP transport does with each
// transaction: json.Marshal(event). It isolates the largest part of
// BenchmarkProcessor's cpu-ns/op, the part that sentry-go does.
func BenchmarkEncode(b *testing.B) {
	for _, v := range encodeVariants {
		b.Run(v.name, func(b *testing.B) {
			ev := v.event(b)
			b.ReportAllocs()
			var n int
			for b.Loop() {
				body, err := json.Marshal(ev)
				if err != nil {
					b.Fatalf("json.Marshal: %v", err)
				}
				n = len(body)
			}
			b.ReportMetric(float64(n), "payload-B/op")
		})
	}
}
