package amqpcarrier

import (
	"context"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// newRecordingTracer returns a tracer whose ended spans rec records.
func newRecordingTracer(t *testing.T) (trace.Tracer, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp.Tracer("amqpcarrier_test"), rec
}

func attrMap(kvs []attribute.KeyValue) map[attribute.Key]attribute.Value {
	m := make(map[attribute.Key]attribute.Value, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

func TestPublishThenConsumeSpans(t *testing.T) {
	tracer, rec := newRecordingTracer(t)
	prop := propagation.TraceContext{}

	msg := amqp.Publishing{MessageId: "msg-1", Body: []byte(`{"user_id":7}`), Headers: amqp.Table{"x-tenant": "acme"}}
	_, pub := StartPublishSpan(context.Background(), tracer, prop, "emails", &msg)
	pub.End()

	// What the broker delivers: the published headers and properties.
	d := amqp.Delivery{
		Headers:     msg.Headers,
		MessageId:   msg.MessageId,
		Body:        msg.Body,
		RoutingKey:  "emails",
		DeliveryTag: 3,
		Timestamp:   time.Now().Add(-2 * time.Second),
	}
	_, proc := StartConsumerSpan(context.Background(), tracer, prop, d, "emails")
	proc.End()

	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want 2", len(spans))
	}
	p, c := spans[0], spans[1]
	if p.Name() != "publish emails" || p.SpanKind() != trace.SpanKindProducer {
		t.Errorf("publish span %q %v, want \"publish emails\" producer", p.Name(), p.SpanKind())
	}
	if c.Name() != "process emails" || c.SpanKind() != trace.SpanKindConsumer {
		t.Errorf("process span %q %v, want \"process emails\" consumer", c.Name(), c.SpanKind())
	}
	if c.SpanContext().TraceID() != p.SpanContext().TraceID() || c.Parent().SpanID() != p.SpanContext().SpanID() || !c.Parent().IsRemote() {
		t.Errorf("consumer parent %v, want the remote publish span %v", c.Parent(), p.SpanContext())
	}
	if msg.Headers["x-tenant"] != "acme" {
		t.Error("StartPublishSpan dropped an existing header")
	}

	wantPublish := map[attribute.Key]attribute.Value{
		"messaging.system":                           attribute.StringValue("rabbitmq"),
		"messaging.operation.type":                   attribute.StringValue("send"),
		"messaging.operation.name":                   attribute.StringValue("publish"),
		"messaging.destination.name":                 attribute.StringValue("emails"),
		"messaging.rabbitmq.destination.routing_key": attribute.StringValue("emails"),
		"messaging.message.id":                       attribute.StringValue("msg-1"),
		"messaging.message.body.size":                attribute.IntValue(len(msg.Body)),
	}
	checkAttrs(t, "publish", p.Attributes(), wantPublish)

	wantProcess := map[attribute.Key]attribute.Value{
		"messaging.system":                           attribute.StringValue("rabbitmq"),
		"messaging.operation.type":                   attribute.StringValue("process"),
		"messaging.operation.name":                   attribute.StringValue("process"),
		"messaging.destination.name":                 attribute.StringValue("emails"),
		"messaging.rabbitmq.destination.routing_key": attribute.StringValue("emails"),
		"messaging.rabbitmq.message.delivery_tag":    attribute.IntValue(3),
		"messaging.message.id":                       attribute.StringValue("msg-1"),
		"messaging.message.body.size":                attribute.IntValue(len(msg.Body)),
	}
	checkAttrs(t, "process", c.Attributes(), wantProcess)
	got := attrMap(c.Attributes())
	if l := got[ReceiveLatencyKey].AsInt64(); l < 2000 || l > 60_000 {
		t.Errorf("receive latency %d ms, want about 2000", l)
	}
	if _, ok := got[RetryCountKey]; ok {
		t.Error("retry count set without an x-death header")
	}
}

func checkAttrs(t *testing.T, span string, kvs []attribute.KeyValue, want map[attribute.Key]attribute.Value) {
	t.Helper()
	got := attrMap(kvs)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s span: %s = %v, want %v", span, k, got[k].String(), v.String())
		}
	}
}

func TestConsumerSpanWithoutMessageID(t *testing.T) {
	tracer, rec := newRecordingTracer(t)
	_, span := StartConsumerSpan(context.Background(), tracer, propagation.TraceContext{}, amqp.Delivery{}, "emails")
	span.End()
	got := attrMap(rec.Ended()[0].Attributes())
	for _, k := range []attribute.Key{"messaging.message.id", RetryCountKey, ReceiveLatencyKey} {
		if _, ok := got[k]; ok {
			t.Errorf("%s set for a delivery without it", k)
		}
	}
	if rec.Ended()[0].Parent().IsValid() {
		t.Error("a delivery without headers got a parent")
	}
}

func TestRetryCount(t *testing.T) {
	tests := []struct {
		name    string
		headers amqp.Table
		want    int64
		wantOK  bool
	}{
		{name: "no header", headers: amqp.Table{}},
		{name: "nil headers", headers: nil},
		{name: "not an array", headers: amqp.Table{"x-death": "3"}},
		{name: "empty array", headers: amqp.Table{"x-death": []any{}}},
		{
			name:    "entry of the consumed queue",
			headers: amqp.Table{"x-death": []any{amqp.Table{"queue": "emails", "reason": "rejected", "count": int64(2)}}},
			want:    2, wantOK: true,
		},
		{
			name: "consumed queue wins over a larger count",
			headers: amqp.Table{"x-death": []any{
				amqp.Table{"queue": "emails.retry", "reason": "expired", "count": int64(5)},
				amqp.Table{"queue": "emails", "reason": "rejected", "count": int64(4)},
			}},
			want: 4, wantOK: true,
		},
		{
			name: "other queues only: the largest count",
			headers: amqp.Table{"x-death": []any{
				amqp.Table{"queue": "a", "count": int64(1)},
				amqp.Table{"queue": "b", "count": int32(3)},
			}},
			want: 3, wantOK: true,
		},
		{
			name:    "entries without a usable count",
			headers: amqp.Table{"x-death": []any{"junk", amqp.Table{"queue": "emails", "count": "2"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := retryCount(tt.headers, "emails")
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("retryCount = %d, %v; want %d, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestReceiveLatency(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC)
	tests := []struct {
		name   string
		d      amqp.Delivery
		want   int64
		wantOK bool
	}{
		{name: "no timestamp", d: amqp.Delivery{}},
		{name: "AMQP timestamp", d: amqp.Delivery{Timestamp: now.Add(-3 * time.Second)}, want: 3000, wantOK: true},
		{
			name: "broker's millisecond header wins",
			d: amqp.Delivery{
				Timestamp: now.Add(-3 * time.Second),
				Headers:   amqp.Table{"timestamp_in_ms": now.Add(-1250 * time.Millisecond).UnixMilli()},
			},
			want: 1250, wantOK: true,
		},
		{name: "clock skew is clamped", d: amqp.Delivery{Timestamp: now.Add(time.Minute)}, want: 0, wantOK: true},
		{
			name: "unusable header falls back",
			d:    amqp.Delivery{Timestamp: now.Add(-time.Second), Headers: amqp.Table{"timestamp_in_ms": "soon"}},
			want: 1000, wantOK: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := receiveLatency(tt.d, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("receiveLatency = %d, %v; want %d, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
