package otelsentry

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// dataSpan returns a read-only span of the given kind and instrumentation
// scope with the given attributes.
func dataSpan(kind trace.SpanKind, scope instrumentation.Scope, attrs ...attribute.KeyValue) sdktrace.ReadOnlySpan {
	return tracetest.SpanStub{Name: "span", SpanKind: kind, InstrumentationScope: scope, Attributes: attrs}.Snapshot()
}

// otelhttpScope is the instrumentation scope of spanDataCases' spans.
var otelhttpScope = instrumentation.Scope{Name: "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp", Version: "0.60.0"}

// spanDataCases are spans and their Sentry data; the encoder oracle sends
// each of them both ways.
var spanDataCases = []struct {
	name string
	span sdktrace.ReadOnlySpan
	want map[string]any
}{
	{
		name: "attribute types and otelhttpScope",
		span: dataSpan(trace.SpanKindServer, otelhttpScope,
			attribute.String("s", "v"),
			attribute.Bool("b", true),
			attribute.Int("i", 7),
			attribute.Float64("f", 1.5),
			attribute.StringSlice("ss", []string{"a", "b"}),
			attribute.BoolSlice("bs", []bool{true, false}),
			attribute.IntSlice("is", []int{1, 2}),
			attribute.Float64Slice("fs", []float64{0.5}),
		),
		want: map[string]any{
			"s":                  "v",
			"b":                  true,
			"i":                  int64(7),
			"f":                  1.5,
			"ss":                 []string{"a", "b"},
			"bs":                 []bool{true, false},
			"is":                 []int64{1, 2},
			"fs":                 []float64{0.5},
			"otel.kind":          "server",
			"otel.scope.name":    otelhttpScope.Name,
			"otel.scope.version": otelhttpScope.Version,
		},
	},
	{
		name: "values json cannot hold become strings",
		span: dataSpan(trace.SpanKindInternal, instrumentation.Scope{},
			attribute.Float64("nan", math.NaN()),
			attribute.Float64("inf", math.Inf(1)),
			attribute.Float64Slice("fs", []float64{1, math.Inf(-1)}),
			attribute.ByteSlice("bytes", []byte("hi")),
			attribute.Slice("mixed", attribute.StringValue("a"), attribute.IntValue(1)),
			attribute.Map("m", attribute.String("k", "v")),
			attribute.KeyValue{Key: "empty"},
		),
		want: map[string]any{
			"nan":       attribute.Float64Value(math.NaN()).String(),
			"inf":       attribute.Float64Value(math.Inf(1)).String(),
			"fs":        attribute.Float64SliceValue([]float64{1, math.Inf(-1)}).String(),
			"bytes":     attribute.ByteSliceValue([]byte("hi")).String(),
			"mixed":     attribute.SliceValue(attribute.StringValue("a"), attribute.IntValue(1)).String(),
			"m":         attribute.MapValue(attribute.String("k", "v")).String(),
			"otel.kind": "internal",
		},
	},
	{
		name: "otelhttpScope name without version",
		span: dataSpan(trace.SpanKindClient, instrumentation.Scope{Name: "lib"}),
		want: map[string]any{"otel.kind": "client", "otel.scope.name": "lib"},
	},
	{
		name: "queue span old keys get the insight keys",
		span: dataSpan(trace.SpanKindProducer, instrumentation.Scope{},
			attribute.String("messaging.system", "rabbitmq"),
			attribute.String("messaging.destination", "jobs"),
			attribute.String("messaging.message_id", "m-1"),
			attribute.Int("messaging.message_payload_size_bytes", 42),
			attribute.Int("messaging.message.retry.count", 2),
			attribute.Float64("messaging.message.receive.latency", 12.5),
		),
		want: map[string]any{
			"messaging.system":                     "rabbitmq",
			"messaging.destination":                "jobs",
			"messaging.destination.name":           "jobs",
			"messaging.message_id":                 "m-1",
			"messaging.message.id":                 "m-1",
			"messaging.message_payload_size_bytes": int64(42),
			"messaging.message.body.size":          int64(42),
			"messaging.message.retry.count":        int64(2),
			"messaging.message.receive.latency":    12.5,
			"otel.kind":                            "producer",
		},
	},
	{
		name: "queue span payload size bytes",
		span: dataSpan(trace.SpanKindConsumer, instrumentation.Scope{},
			attribute.String("messaging.system", "kafka"),
			attribute.Int("messaging.message.payload_size_bytes", 9),
		),
		want: map[string]any{
			"messaging.system":                     "kafka",
			"messaging.message.payload_size_bytes": int64(9),
			"messaging.message.body.size":          int64(9),
			"otel.kind":                            "consumer",
		},
	},
	{
		name: "queue span stable keys are kept",
		span: dataSpan(trace.SpanKindConsumer, instrumentation.Scope{},
			attribute.String("messaging.system", "kafka"),
			attribute.String("messaging.destination", "old"),
			attribute.String("messaging.destination.name", "new"),
			attribute.Int("messaging.message.body.size", 1),
			attribute.Int("messaging.message.payload_size_bytes", 2),
		),
		want: map[string]any{
			"messaging.system":                     "kafka",
			"messaging.destination":                "old",
			"messaging.destination.name":           "new",
			"messaging.message.body.size":          int64(1),
			"messaging.message.payload_size_bytes": int64(2),
			"otel.kind":                            "consumer",
		},
	},
	{
		name: "old keys of a span without messaging.system stay as they are",
		span: dataSpan(trace.SpanKindProducer, instrumentation.Scope{},
			attribute.String("messaging.destination", "jobs"),
		),
		want: map[string]any{"messaging.destination": "jobs", "otel.kind": "producer"},
	},
	{
		name: "http client old status code",
		span: dataSpan(trace.SpanKindClient, instrumentation.Scope{},
			attribute.String("http.method", "GET"),
			attribute.Int("http.status_code", 404),
		),
		want: map[string]any{
			"http.method":               "GET",
			"http.status_code":          int64(404),
			"http.response.status_code": int64(404),
			"otel.kind":                 "client",
		},
	},
	{
		name: "http client stable status code is kept",
		span: dataSpan(trace.SpanKindClient, instrumentation.Scope{},
			attribute.Int("http.status_code", 500),
			attribute.Int("http.response.status_code", 200),
		),
		want: map[string]any{
			"http.status_code":          int64(500),
			"http.response.status_code": int64(200),
			"otel.kind":                 "client",
		},
	},
	{
		name: "http server old status code stays as it is",
		span: dataSpan(trace.SpanKindServer, instrumentation.Scope{},
			attribute.Int("http.status_code", 404),
		),
		want: map[string]any{"http.status_code": int64(404), "otel.kind": "server"},
	},
	{
		name: "db system from db.system.name",
		span: dataSpan(trace.SpanKindClient, instrumentation.Scope{},
			attribute.String("db.system.name", "postgresql"),
			attribute.String("db.query.text", "SELECT 1"),
		),
		want: map[string]any{
			"db.system.name": "postgresql",
			"db.system":      "postgresql",
			"db.query.text":  "SELECT 1",
			"otel.kind":      "client",
		},
	},
	{
		name: "db system is kept",
		span: dataSpan(trace.SpanKindClient, instrumentation.Scope{},
			attribute.String("db.system", "mysql"),
			attribute.String("db.system.name", "mariadb"),
		),
		want: map[string]any{
			"db.system.name": "mariadb",
			"db.system":      "mysql",
			"otel.kind":      "client",
		},
	},
}

func TestSpanData(t *testing.T) {
	tests := spanDataCases
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := spanData(tt.span, nil)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("spanData() =\n%#v\nwant\n%#v", got, tt.want)
			}
			if _, err := json.Marshal(got); err != nil {
				t.Errorf("json.Marshal(spanData()) error: %v", err)
			}
		})
	}
}

func TestSpanDataIntoExistingMap(t *testing.T) {
	dst := map[string]any{"keep": "me"}
	span := dataSpan(trace.SpanKindInternal, instrumentation.Scope{}, attribute.String("a", "b"))
	got := spanData(span, dst)
	if reflect.ValueOf(got).Pointer() != reflect.ValueOf(dst).Pointer() {
		t.Error("spanData() did not fill the given map")
	}
	want := map[string]any{"keep": "me", "a": "b", "otel.kind": "internal"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("spanData() = %#v, want %#v", got, want)
	}
}

func TestResourceData(t *testing.T) {
	tests := []struct {
		name string
		res  *resource.Resource
		want map[string]any
	}{
		{name: "nil", res: nil, want: nil},
		{name: "empty", res: resource.Empty(), want: nil},
		{
			name: "attributes",
			res: resource.NewSchemaless(
				attribute.String("service.name", "checkout"),
				attribute.Int("process.pid", 12),
				attribute.StringSlice("process.command_args", []string{"a", "b"}),
			),
			want: map[string]any{
				"service.name":         "checkout",
				"process.pid":          int64(12),
				"process.command_args": []string{"a", "b"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resourceData(tt.res); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("resourceData() = %#v, want %#v", got, tt.want)
			}
		})
	}
}

// TestInsightKeysNoted checks that the encoder notes every attribute the
// alias rules name under the index the rules use for it.
func TestInsightKeysNoted(t *testing.T) {
	for i, k := range insightKeys {
		var iv insightValues
		iv.note(attribute.Key(k), attribute.StringValue("x"))
		if !iv.set[i] {
			t.Errorf("%s is not noted as index %d", k, i)
		}
	}
}
