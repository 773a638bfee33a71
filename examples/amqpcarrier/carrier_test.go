package amqpcarrier

import (
	"context"
	"slices"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

func TestCarrierGet(t *testing.T) {
	c := Carrier{
		"string":   "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"bytes":    []byte("sentry-trace_id=4bf92f3577b34da6a3ce929d0e0e4736"),
		"int":      int64(7),
		"table":    amqp.Table{"a": "b"},
		"nil":      nil,
		"Baggage":  "upper case is another header",
		"empty":    "",
		"no-bytes": []byte{},
	}
	tests := []struct {
		name, key, want string
	}{
		{name: "string value", key: "string", want: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
		{name: "byte array value", key: "bytes", want: "sentry-trace_id=4bf92f3577b34da6a3ce929d0e0e4736"},
		{name: "integer value is absent", key: "int"},
		{name: "table value is absent", key: "table"},
		{name: "nil value is absent", key: "nil"},
		{name: "missing key", key: "sentry-trace"},
		{name: "names are case-sensitive", key: "baggage"},
		{name: "empty string", key: "empty"},
		{name: "empty bytes", key: "no-bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Get(tt.key); got != tt.want {
				t.Errorf("Get(%q) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

func TestNilCarrierReads(t *testing.T) {
	var c Carrier
	if got := c.Get("traceparent"); got != "" {
		t.Errorf("Get on nil carrier = %q", got)
	}
	if got := c.Keys(); len(got) != 0 {
		t.Errorf("Keys on nil carrier = %v", got)
	}
}

func TestCarrierSetAndKeys(t *testing.T) {
	c := Carrier{"baggage": []byte("old"), "x-custom": int32(1)}
	c.Set("sentry-trace", "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1")
	c.Set("baggage", "sentry-sample_rate=1")

	if got, want := c.Keys(), []string{"baggage", "sentry-trace", "x-custom"}; !slices.Equal(got, want) {
		t.Errorf("Keys() = %v, want %v", got, want)
	}
	if v, ok := c["baggage"].(string); !ok || v != "sentry-sample_rate=1" {
		t.Errorf("baggage = %#v, want the new string", c["baggage"])
	}
	// What Set writes must be publishable.
	if err := amqp.Table(c).Validate(); err != nil {
		t.Errorf("table not valid for AMQP: %v", err)
	}
}

func TestInjectAllocatesAndKeeps(t *testing.T) {
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled,
	}))
	prop := propagation.TraceContext{}
	const want = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

	t.Run("nil headers", func(t *testing.T) {
		h := Inject(ctx, prop, nil)
		if h == nil || h["traceparent"] != want {
			t.Errorf("Inject(nil) = %v, want traceparent %s", h, want)
		}
	})
	t.Run("existing headers", func(t *testing.T) {
		h := amqp.Table{"x-tenant": "acme"}
		got := Inject(ctx, prop, h)
		if got["traceparent"] != want || got["x-tenant"] != "acme" || h["traceparent"] != want {
			t.Errorf("Inject = %v, want the same table with traceparent added", got)
		}
	})
	t.Run("no span context writes nothing", func(t *testing.T) {
		if h := Inject(context.Background(), prop, nil); len(h) != 0 {
			t.Errorf("Inject without span = %v, want empty", h)
		}
	})
}

func TestExtractRoundTrip(t *testing.T) {
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		SpanID:     trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8},
		TraceFlags: trace.FlagsSampled,
	})
	headers := Inject(trace.ContextWithSpanContext(context.Background(), sc), prop, nil)

	// A broker may hand the values back as byte arrays.
	for k, v := range headers {
		headers[k] = []byte(v.(string))
	}
	got := trace.SpanContextFromContext(Extract(context.Background(), prop, headers))
	if got.TraceID() != sc.TraceID() || got.SpanID() != sc.SpanID() || !got.IsSampled() || !got.IsRemote() {
		t.Errorf("extracted %v, want remote %v", got, sc)
	}
}

func TestExtractWithoutTrace(t *testing.T) {
	ctx := context.Background()
	prop := propagation.TraceContext{}
	for _, h := range []amqp.Table{nil, {}, {"traceparent": 42}, {"traceparent": "garbage"}} {
		if got := Extract(ctx, prop, h); trace.SpanContextFromContext(got).IsValid() {
			t.Errorf("Extract(%v) made a span context", h)
		}
	}
}
