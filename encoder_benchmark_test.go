package otelsentry

import (
	"context"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// benchRequest is the 9-span reset-password request of the benchmarks: a
// server root, five queries, two HTTP calls and a publish.
func benchRequest() (root sdktrace.ReadOnlySpan, children []sdktrace.ReadOnlySpan) {
	root = restamp(tracetest.SpanStub{Name: "POST /users/reset-password", SpanKind: trace.SpanKindServer, Attributes: []attribute.KeyValue{
		attribute.String("http.request.method", "POST"), attribute.String("url.path", "/users/reset-password"),
		attribute.String("http.route", "/users/reset-password"), attribute.Int("http.response.status_code", 200),
		attribute.String("server.address", "api.example.com"),
	}}.Snapshot(), 0)
	for i := range 8 {
		s := tracetest.SpanStub{Name: "SELECT app.users", SpanKind: trace.SpanKindClient, Attributes: []attribute.KeyValue{
			attribute.String("db.system.name", "postgresql"), attribute.String("db.query.text", "SELECT id, email FROM users WHERE email = $1"),
			attribute.String("db.namespace", "app"),
		}}
		switch {
		case i >= 5 && i < 7:
			s.Name, s.Attributes = "GET", []attribute.KeyValue{attribute.String("http.request.method", "GET"),
				attribute.String("url.full", "http://inventory.internal/items/42"), attribute.Int("http.response.status_code", 200)}
		case i == 7:
			s.Name, s.SpanKind, s.Attributes = "reset-password publish", trace.SpanKindProducer, []attribute.KeyValue{
				attribute.String("messaging.system", "rabbitmq"), attribute.String("messaging.operation.type", "publish"),
				attribute.String("messaging.destination.name", "reset-password"), attribute.String("messaging.message.id", "b3f1c2")}
		}
		children = append(children, restamp(s.Snapshot(), i+1))
	}
	return root, children
}

// BenchmarkEncodeDirect maps and encodes the 9-span request into its
// envelope, as the worker does for each transaction.
func BenchmarkEncodeDirect(b *testing.B) {
	root, children := benchRequest()
	hub := oracleClient(b, &oracleCase{}, nil)
	p := &SpanProcessor{clients: new(clientCache)}
	info := p.clients.info(hub.Client())
	c := &oracleCase{root: root, children: children}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		seg := oracleSegment(c, hub, info.maxSpans)
		tx, _, _ := p.encodeDirect(seg, info, dscOf(seg), now)
		_ = tx
	}
}

// BenchmarkEncodeViaSentryGo is the same transaction built as a
// sentry.Event and encoded by sentry-go, as the exact path does.
func BenchmarkEncodeViaSentryGo(b *testing.B) {
	root, children := benchRequest()
	capture := &discardTransport{}
	c := &oracleCase{root: root, children: children}
	hub := oracleClient(b, c, capture)
	p := &SpanProcessor{clients: new(clientCache), placeholder: &sentry.Span{}}
	info := p.clients.info(hub.Client())
	b.ReportAllocs()
	for b.Loop() {
		seg := oracleSegment(c, hub, info.maxSpans)
		ev, _ := p.transactionOf(seg, info)
		ev.MakeSerializationSafe()
		_, _ = ev.MarshalJSON()
	}
}

// BenchmarkRequestPath times the 9-span request on the request goroutine
// with the processor (its worker drops every transaction: no client) and
// with a processor that does nothing, the SDK's own cost.
func BenchmarkRequestPath(b *testing.B) {
	for _, tc := range []struct {
		name string
		proc func() sdktrace.SpanProcessor
	}{
		{"noop", func() sdktrace.SpanProcessor { return noopProcessor{} }},
		{"otelsentry", func() sdktrace.SpanProcessor {
			return NewSpanProcessor(WithHub(sentry.NewHub(nil, sentry.NewScope())))
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			// A processor per run: the TracerProvider's Shutdown stops it,
			// and b.Run runs this function more than once.
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tc.proc()))
			defer func() { _ = tp.Shutdown(context.Background()) }()
			tr := tp.Tracer("bench")
			b.ReportAllocs()
			for b.Loop() {
				ctx, root := tr.Start(context.Background(), "POST /users/reset-password", trace.WithSpanKind(trace.SpanKindServer))
				for range 8 {
					_, s := tr.Start(ctx, "child")
					s.End()
				}
				root.End()
			}
		})
	}
}

type noopProcessor struct{}

func (noopProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (noopProcessor) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (noopProcessor) Shutdown(context.Context) error                  { return nil }
func (noopProcessor) ForceFlush(context.Context) error                { return nil }
