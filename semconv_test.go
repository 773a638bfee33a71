package otelsentry

import (
	"testing"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// semconvSpan returns a read-only span with the given kind, name and
// attributes.
func semconvSpan(kind trace.SpanKind, name string, attrs ...attribute.KeyValue) sdktrace.ReadOnlySpan {
	return tracetest.SpanStub{Name: name, SpanKind: kind, Attributes: attrs}.Snapshot()
}

const (
	server   = trace.SpanKindServer
	client   = trace.SpanKindClient
	internal = trace.SpanKindInternal
	producer = trace.SpanKindProducer
	consumer = trace.SpanKindConsumer
)

// mapSpanCases are spans as instrumentation records them and what they map
// to; the encoder oracle sends each of them both ways.
var mapSpanCases = []struct {
	name string
	span sdktrace.ReadOnlySpan
	want spanMapping
}{
	{
		name: "http server named after a ServeMux pattern, no http.route (otelhttp v0.72)",
		span: semconvSpan(server, "GET /orders/{id}",
			attribute.String("http.request.method", "GET"),
			attribute.String("url.path", "/orders/0")),
		want: spanMapping{op: "http.server", name: "GET /orders/{id}", description: "GET /orders/{id}", source: sentry.SourceRoute},
	},
	{
		name: "http server named by method only keeps its path",
		span: semconvSpan(server, "GET",
			attribute.String("http.request.method", "GET"),
			attribute.String("url.path", "/orders/0")),
		want: spanMapping{op: "http.server", name: "GET /orders/0", description: "GET /orders/0", source: sentry.SourceURL},
	},
	{
		name: "http server name of another method is no route",
		span: semconvSpan(server, "POST /orders/{id}",
			attribute.String("http.request.method", "GET"),
			attribute.String("url.path", "/orders/0")),
		want: spanMapping{op: "http.server", name: "GET /orders/0", description: "GET /orders/0", source: sentry.SourceURL},
	},
	{
		name: "http server name with a query is no route",
		span: semconvSpan(server, "GET /orders?id=1",
			attribute.String("http.request.method", "GET"),
			attribute.String("url.path", "/orders")),
		want: spanMapping{op: "http.server", name: "GET /orders", description: "GET /orders", source: sentry.SourceURL},
	},
	{
		name: "http.route wins over the span name",
		span: semconvSpan(server, "GET /orders/{id}",
			attribute.String("http.request.method", "GET"),
			attribute.String("http.route", "/orders/:id")),
		want: spanMapping{op: "http.server", name: "GET /orders/:id", description: "GET /orders/:id", source: sentry.SourceRoute},
	},
	{
		name: "http server with route",
		span: semconvSpan(server, "GET /users/{id}",
			attribute.String("http.request.method", "GET"),
			attribute.String("http.route", "/users/{id}"),
			attribute.String("url.path", "/users/42")),
		want: spanMapping{op: "http.server", name: "GET /users/{id}", description: "GET /users/{id}", source: sentry.SourceRoute},
	},
	{
		name: "http server old semconv target without route strips query",
		span: semconvSpan(server, "HTTP POST",
			attribute.String("http.method", "POST"),
			attribute.String("http.target", "/login?next=/home#top")),
		want: spanMapping{op: "http.server", name: "POST /login", description: "POST /login", source: sentry.SourceURL},
	},
	{
		name: "http server stable path",
		span: semconvSpan(server, "GET",
			attribute.String("http.request.method", "GET"),
			attribute.String("url.path", "/health")),
		want: spanMapping{op: "http.server", name: "GET /health", description: "GET /health", source: sentry.SourceURL},
	},
	{
		name: "http server without route or path keeps span name",
		span: semconvSpan(server, "handler",
			attribute.String("http.request.method", "GET")),
		want: spanMapping{op: "http.server", name: "handler", description: "handler", source: sentry.SourceCustom},
	},
	{
		name: "stable method wins over old one listed first",
		span: semconvSpan(server, "x",
			attribute.String("http.method", "POST"),
			attribute.String("http.request.method", "GET"),
			attribute.String("http.route", "/a")),
		want: spanMapping{op: "http.server", name: "GET /a", description: "GET /a", source: sentry.SourceRoute},
	},
	{
		name: "stable path wins over old target listed first",
		span: semconvSpan(server, "x",
			attribute.String("http.request.method", "GET"),
			attribute.String("http.target", "/old?q=1"),
			attribute.String("url.path", "/new")),
		want: spanMapping{op: "http.server", name: "GET /new", description: "GET /new", source: sentry.SourceURL},
	},
	{
		name: "unknown method uses the original one",
		span: semconvSpan(server, "HTTP",
			attribute.String("http.request.method", "_OTHER"),
			attribute.String("http.request.method_original", "PURGE"),
			attribute.String("url.path", "/cache")),
		want: spanMapping{op: "http.server", name: "PURGE /cache", description: "PURGE /cache", source: sentry.SourceURL},
	},
	{
		name: "http client stable url strips query fragment and credentials",
		span: semconvSpan(client, "GET",
			attribute.String("http.request.method", "GET"),
			attribute.String("url.full", "https://user:secret@api.example.com/v1/items?token=abc#frag")),
		want: spanMapping{op: "http.client", name: "GET https://api.example.com/v1/items", description: "GET https://api.example.com/v1/items", source: sentry.SourceURL},
	},
	{
		name: "http client old url",
		span: semconvSpan(client, "HTTP GET",
			attribute.String("http.method", "GET"),
			attribute.String("http.url", "http://example.com/a?b=c")),
		want: spanMapping{op: "http.client", name: "GET http://example.com/a", description: "GET http://example.com/a", source: sentry.SourceURL},
	},
	{
		name: "http client fragment before query",
		span: semconvSpan(client, "GET",
			attribute.String("http.request.method", "GET"),
			attribute.String("url.full", "http://example.com/a#x?y")),
		want: spanMapping{op: "http.client", name: "GET http://example.com/a", description: "GET http://example.com/a", source: sentry.SourceURL},
	},
	{
		name: "http client url built from server address port and path",
		span: semconvSpan(client, "GET",
			attribute.String("http.request.method", "PUT"),
			attribute.String("url.scheme", "https"),
			attribute.String("server.address", "api.example.com"),
			attribute.Int("server.port", 8443),
			attribute.String("url.path", "/v1/x")),
		want: spanMapping{op: "http.client", name: "PUT https://api.example.com:8443/v1/x", description: "PUT https://api.example.com:8443/v1/x", source: sentry.SourceURL},
	},
	{
		name: "http client url built on port 443 is https without port",
		span: semconvSpan(client, "GET",
			attribute.String("http.request.method", "GET"),
			attribute.String("server.address", "api.example.com"),
			attribute.Int("server.port", 443),
			attribute.String("url.path", "/v1")),
		want: spanMapping{op: "http.client", name: "GET https://api.example.com/v1", description: "GET https://api.example.com/v1", source: sentry.SourceURL},
	},
	{
		name: "http client url built from old keys strips query",
		span: semconvSpan(client, "GET",
			attribute.String("http.method", "DELETE"),
			attribute.String("net.peer.name", "10.0.0.1"),
			attribute.Int("net.peer.port", 80),
			attribute.String("http.target", "/items/7?force=1")),
		want: spanMapping{op: "http.client", name: "DELETE http://10.0.0.1/items/7", description: "DELETE http://10.0.0.1/items/7", source: sentry.SourceURL},
	},
	{
		name: "http client url built with an ipv6 address",
		span: semconvSpan(client, "GET",
			attribute.String("http.request.method", "GET"),
			attribute.String("server.address", "::1"),
			attribute.Int("server.port", 8080)),
		want: spanMapping{op: "http.client", name: "GET http://[::1]:8080", description: "GET http://[::1]:8080", source: sentry.SourceURL},
	},
	{
		name: "http client without url keeps span name",
		span: semconvSpan(client, "fetch",
			attribute.String("http.request.method", "GET")),
		want: spanMapping{op: "http.client", name: "fetch", description: "fetch", source: sentry.SourceCustom},
	},
	{
		name: "http span of another kind",
		span: semconvSpan(internal, "call",
			attribute.String("http.request.method", "GET"),
			attribute.String("url.full", "https://example.com/x?y=1")),
		want: spanMapping{op: "http", name: "GET https://example.com/x", description: "GET https://example.com/x", source: sentry.SourceURL},
	},
	{
		name: "db stable keys",
		span: semconvSpan(client, "SELECT users",
			attribute.String("db.system.name", "postgresql"),
			attribute.String("db.query.text", "SELECT * FROM users WHERE id = $1")),
		want: spanMapping{op: "db", name: "SELECT users", description: "SELECT * FROM users WHERE id = $1", source: sentry.SourceTask},
	},
	{
		name: "db old keys",
		span: semconvSpan(client, "mysql.query",
			attribute.String("db.system", "mysql"),
			attribute.String("db.statement", "UPDATE t SET a = ?")),
		want: spanMapping{op: "db", name: "mysql.query", description: "UPDATE t SET a = ?", source: sentry.SourceTask},
	},
	{
		name: "db stable query wins over old statement listed first",
		span: semconvSpan(client, "q",
			attribute.String("db.statement", "OLD"),
			attribute.String("db.system.name", "sqlite"),
			attribute.String("db.query.text", "NEW")),
		want: spanMapping{op: "db", name: "q", description: "NEW", source: sentry.SourceTask},
	},
	{
		name: "db without query text describes with span name",
		span: semconvSpan(client, "redis GET",
			attribute.String("db.system.name", "redis")),
		want: spanMapping{op: "db", name: "redis GET", description: "redis GET", source: sentry.SourceTask},
	},
	{
		name: "messaging send stable",
		span: semconvSpan(producer, "send orders",
			attribute.String("messaging.system", "kafka"),
			attribute.String("messaging.operation.type", "send"),
			attribute.String("messaging.destination.name", "orders")),
		want: spanMapping{op: "queue.publish", name: "send orders", description: "orders", source: sentry.SourceTask},
	},
	{
		name: "messaging publish old operation and destination",
		span: semconvSpan(producer, "jobs publish",
			attribute.String("messaging.system", "rabbitmq"),
			attribute.String("messaging.operation", "publish"),
			attribute.String("messaging.destination", "jobs")),
		want: spanMapping{op: "queue.publish", name: "jobs publish", description: "jobs", source: sentry.SourceTask},
	},
	{
		name: "messaging create",
		span: semconvSpan(producer, "create",
			attribute.String("messaging.system", "kafka"),
			attribute.String("messaging.operation.type", "create")),
		want: spanMapping{op: "queue.publish", name: "create", description: "create", source: sentry.SourceTask},
	},
	{
		name: "messaging receive old operation",
		span: semconvSpan(consumer, "jobs receive",
			attribute.String("messaging.system", "rabbitmq"),
			attribute.String("messaging.operation", "receive"),
			attribute.String("messaging.destination.name", "jobs")),
		want: spanMapping{op: "queue.process", name: "jobs receive", description: "jobs", source: sentry.SourceTask},
	},
	{
		name: "messaging process",
		span: semconvSpan(consumer, "process",
			attribute.String("messaging.system", "sqs"),
			attribute.String("messaging.operation.type", "process")),
		want: spanMapping{op: "queue.process", name: "process", description: "process", source: sentry.SourceTask},
	},
	{
		name: "messaging deliver",
		span: semconvSpan(consumer, "deliver",
			attribute.String("messaging.system", "sqs"),
			attribute.String("messaging.operation", "deliver")),
		want: spanMapping{op: "queue.process", name: "deliver", description: "deliver", source: sentry.SourceTask},
	},
	{
		name: "messaging settle on a client span",
		span: semconvSpan(client, "ack",
			attribute.String("messaging.system", "servicebus"),
			attribute.String("messaging.operation.type", "settle")),
		want: spanMapping{op: "queue.process", name: "ack", description: "ack", source: sentry.SourceTask},
	},
	{
		name: "stable operation wins over old one listed first",
		span: semconvSpan(client, "x",
			attribute.String("messaging.operation", "publish"),
			attribute.String("messaging.system", "kafka"),
			attribute.String("messaging.operation.type", "receive")),
		want: spanMapping{op: "queue.process", name: "x", description: "x", source: sentry.SourceTask},
	},
	{
		name: "messaging producer without operation",
		span: semconvSpan(producer, "emit",
			attribute.String("messaging.system", "nats")),
		want: spanMapping{op: "queue.publish", name: "emit", description: "emit", source: sentry.SourceTask},
	},
	{
		name: "messaging consumer without operation",
		span: semconvSpan(consumer, "handle",
			attribute.String("messaging.system", "nats")),
		want: spanMapping{op: "queue.process", name: "handle", description: "handle", source: sentry.SourceTask},
	},
	{
		name: "messaging internal without operation",
		span: semconvSpan(internal, "batch",
			attribute.String("messaging.system", "nats")),
		want: spanMapping{op: "queue", name: "batch", description: "batch", source: sentry.SourceTask},
	},
	{
		name: "grpc server old rpc.system",
		span: semconvSpan(server, "helloworld.Greeter/SayHello",
			attribute.String("rpc.system", "grpc")),
		want: spanMapping{op: "grpc.server", name: "helloworld.Greeter/SayHello", description: "helloworld.Greeter/SayHello", source: sentry.SourceRoute},
	},
	{
		name: "grpc client stable rpc.system.name",
		span: semconvSpan(client, "helloworld.Greeter/SayHello",
			attribute.String("rpc.system.name", "grpc")),
		want: spanMapping{op: "grpc.client", name: "helloworld.Greeter/SayHello", description: "helloworld.Greeter/SayHello", source: sentry.SourceRoute},
	},
	{
		name: "grpc internal span",
		span: semconvSpan(internal, "svc/M",
			attribute.String("rpc.system.name", "grpc")),
		want: spanMapping{op: "rpc", name: "svc/M", description: "svc/M", source: sentry.SourceRoute},
	},
	{
		name: "other rpc system",
		span: semconvSpan(client, "math/add",
			attribute.String("rpc.system.name", "jsonrpc")),
		want: spanMapping{op: "rpc", name: "math/add", description: "math/add", source: sentry.SourceRoute},
	},
	{
		name: "faas trigger",
		span: semconvSpan(server, "nightly",
			attribute.String("faas.trigger", "timer")),
		want: spanMapping{op: "timer", name: "nightly", description: "nightly", source: sentry.SourceTask},
	},
	{
		name: "faas http trigger with http attributes is http",
		span: semconvSpan(server, "fn",
			attribute.String("faas.trigger", "http"),
			attribute.String("http.request.method", "GET"),
			attribute.String("http.route", "/fn")),
		want: spanMapping{op: "http.server", name: "GET /fn", description: "GET /fn", source: sentry.SourceRoute},
	},
	{
		name: "other internal",
		span: semconvSpan(internal, "compute"),
		want: spanMapping{op: "function", name: "compute", description: "compute", source: sentry.SourceCustom},
	},
	{
		name: "other unspecified",
		span: semconvSpan(trace.SpanKindUnspecified, "work"),
		want: spanMapping{op: "function", name: "work", description: "work", source: sentry.SourceCustom},
	},
	{
		name: "other server",
		span: semconvSpan(server, "serve"),
		want: spanMapping{op: "server", name: "serve", description: "serve", source: sentry.SourceCustom},
	},
	{
		name: "other client",
		span: semconvSpan(client, "dial"),
		want: spanMapping{op: "client", name: "dial", description: "dial", source: sentry.SourceCustom},
	},
	{
		name: "other producer",
		span: semconvSpan(producer, "emit"),
		want: spanMapping{op: "producer", name: "emit", description: "emit", source: sentry.SourceCustom},
	},
	{
		name: "non-string attribute values are ignored",
		span: semconvSpan(server, "x",
			attribute.Int("http.request.method", 1),
			attribute.Bool("db.system.name", true)),
		want: spanMapping{op: "server", name: "x", description: "x", source: sentry.SourceCustom},
	},
	{
		name: "override op",
		span: semconvSpan(server, "GET",
			attribute.String("http.request.method", "GET"),
			attribute.String("http.route", "/a"),
			attribute.String("sentry.op", "http.server.custom")),
		want: spanMapping{op: "http.server.custom", name: "GET /a", description: "GET /a", source: sentry.SourceRoute},
	},
	{
		name: "override name makes source custom",
		span: semconvSpan(server, "GET",
			attribute.String("http.request.method", "GET"),
			attribute.String("http.route", "/a"),
			attribute.String("sentry.name", "checkout")),
		want: spanMapping{op: "http.server", name: "checkout", description: "checkout", source: sentry.SourceCustom},
	},
	{
		name: "override name and source",
		span: semconvSpan(internal, "x",
			attribute.String("sentry.name", "Checkout"),
			attribute.String("sentry.source", "component")),
		want: spanMapping{op: "function", name: "Checkout", description: "Checkout", source: sentry.SourceComponent},
	},
	{
		name: "override description only",
		span: semconvSpan(client, "q",
			attribute.String("db.system.name", "postgresql"),
			attribute.String("db.query.text", "SELECT 1"),
			attribute.String("sentry.description", "ping")),
		want: spanMapping{op: "db", name: "q", description: "ping", source: sentry.SourceTask},
	},
	{
		name: "override name and description",
		span: semconvSpan(internal, "x",
			attribute.String("sentry.name", "N"),
			attribute.String("sentry.description", "D")),
		want: spanMapping{op: "function", name: "N", description: "D", source: sentry.SourceCustom},
	},
	{
		name: "override source view",
		span: semconvSpan(internal, "x",
			attribute.String("sentry.source", "view")),
		want: spanMapping{op: "function", name: "x", description: "x", source: sentry.SourceView},
	},
	{
		name: "override source unknown is ignored",
		span: semconvSpan(server, "GET",
			attribute.String("http.request.method", "GET"),
			attribute.String("http.route", "/a"),
			attribute.String("sentry.source", "unknown")),
		want: spanMapping{op: "http.server", name: "GET /a", description: "GET /a", source: sentry.SourceRoute},
	},
	{
		name: "override source invalid is ignored",
		span: semconvSpan(internal, "x",
			attribute.String("sentry.source", "bogus")),
		want: spanMapping{op: "function", name: "x", description: "x", source: sentry.SourceCustom},
	},
	{
		name: "empty overrides are ignored",
		span: semconvSpan(internal, "x",
			attribute.String("sentry.op", ""),
			attribute.String("sentry.name", ""),
			attribute.String("sentry.description", ""),
			attribute.String("sentry.source", "")),
		want: spanMapping{op: "function", name: "x", description: "x", source: sentry.SourceCustom},
	},
}

func TestMapSpan(t *testing.T) {
	tests := mapSpanCases
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mapSpan(tt.span)
			if got != tt.want {
				t.Errorf("mapSpan() = %+v, want %+v", got, tt.want)
			}
			if got.op == "" {
				t.Error("mapSpan().op is empty")
			}
			if _, ok := transactionSource(string(got.source)); !ok {
				t.Errorf("mapSpan().source = %q, not a valid source", got.source)
			}
		})
	}
}

func TestSemconvSanitizeURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "plain", in: "https://example.com/a", want: "https://example.com/a"},
		{name: "query", in: "https://example.com/a?b=c", want: "https://example.com/a"},
		{name: "fragment", in: "https://example.com/a#b", want: "https://example.com/a"},
		{name: "user info", in: "https://u:p@example.com/a", want: "https://example.com/a"},
		{name: "user info without path", in: "https://u:p@example.com", want: "https://example.com"},
		{name: "at sign in path is kept", in: "https://example.com/@me", want: "https://example.com/@me"},
		{name: "at sign in query is dropped with it", in: "https://example.com/a?u=x@y", want: "https://example.com/a"},
		{name: "relative", in: "/a?b", want: "/a"},
		{name: "empty", in: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sanitizeURL(tt.in); got != tt.want {
				t.Errorf("sanitizeURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestIsSentryUpload(t *testing.T) {
	const dsnHost = "o1.ingest.sentry.io"
	tests := []struct {
		name    string
		span    sdktrace.ReadOnlySpan
		dsnHost string
		project string // the DSN's project id; empty for any
		want    bool
	}{
		{
			name: "envelope of the DSN's project",
			span: semconvSpan(trace.SpanKindClient, "POST",
				attribute.String("url.full", "https://o1.ingest.sentry.io/api/42/envelope/")),
			project: "42",
			want:    true,
		},
		{
			name: "ingest path of another project on the DSN's host",
			span: semconvSpan(trace.SpanKindClient, "POST",
				attribute.String("url.full", "http://localhost:9000/api/7/store/")),
			dsnHost: "localhost:9000",
			project: "42",
			want:    false,
		},
		{
			name: "envelope with sentry_key",
			span: semconvSpan(trace.SpanKindClient, "POST",
				attribute.String("url.full", "https://o1.ingest.sentry.io/api/42/envelope/?sentry_key=abc&sentry_version=7")),
			want: true,
		},
		{
			name: "envelope path",
			span: semconvSpan(trace.SpanKindClient, "POST",
				attribute.String("url.full", "https://o1.ingest.sentry.io/api/42/envelope/")),
			want: true,
		},
		{
			name: "envelope path without final slash",
			span: semconvSpan(trace.SpanKindClient, "POST",
				attribute.String("url.full", "https://o1.ingest.sentry.io/api/42/envelope")),
			want: true,
		},
		{
			name: "store path",
			span: semconvSpan(trace.SpanKindClient, "POST",
				attribute.String("url.full", "https://o1.ingest.sentry.io/api/42/store/")),
			want: true,
		},
		{
			name: "dsn path prefix",
			span: semconvSpan(trace.SpanKindClient, "POST",
				attribute.String("url.full", "https://o1.ingest.sentry.io/relay/api/42/envelope/")),
			want: true,
		},
		{
			name: "sentry_key on another path",
			span: semconvSpan(trace.SpanKindClient, "POST",
				attribute.String("url.full", "https://o1.ingest.sentry.io/other?x=1&sentry_key=abc")),
			want: true,
		},
		{
			name: "host case and port differ",
			span: semconvSpan(trace.SpanKindClient, "POST",
				attribute.String("url.full", "https://O1.Ingest.Sentry.IO:443/api/42/envelope/")),
			want: true,
		},
		{
			name: "user info in url",
			span: semconvSpan(trace.SpanKindClient, "POST",
				attribute.String("url.full", "https://key@o1.ingest.sentry.io/api/42/envelope/")),
			want: true,
		},
		{
			name: "dsn host with port",
			span: semconvSpan(trace.SpanKindClient, "POST",
				attribute.String("url.full", "http://localhost:9000/api/1/envelope/")),
			dsnHost: "localhost:9000",
			want:    true,
		},
		{
			name: "ipv6 host",
			span: semconvSpan(trace.SpanKindClient, "POST",
				attribute.String("url.full", "http://[::1]:9000/api/1/envelope/")),
			dsnHost: "[::1]:9000",
			want:    true,
		},
		{
			name: "old http.url",
			span: semconvSpan(trace.SpanKindClient, "POST",
				attribute.String("http.url", "https://o1.ingest.sentry.io/api/42/envelope/?sentry_key=abc")),
			want: true,
		},
		{
			name: "server address and path",
			span: semconvSpan(trace.SpanKindClient, "POST",
				attribute.String("server.address", "o1.ingest.sentry.io"),
				attribute.String("url.path", "/api/42/envelope/")),
			want: true,
		},
		{
			name: "old peer name and target with sentry_key",
			span: semconvSpan(trace.SpanKindClient, "POST",
				attribute.String("net.peer.name", "o1.ingest.sentry.io"),
				attribute.String("http.target", "/x?sentry_key=abc")),
			want: true,
		},
		{
			name: "server address path and query",
			span: semconvSpan(trace.SpanKindClient, "POST",
				attribute.String("server.address", "o1.ingest.sentry.io"),
				attribute.String("url.path", "/x"),
				attribute.String("url.query", "sentry_key=abc")),
			want: true,
		},
		{
			name: "other host",
			span: semconvSpan(trace.SpanKindClient, "POST",
				attribute.String("url.full", "https://example.com/api/42/envelope/?sentry_key=abc")),
			want: false,
		},
		{
			name: "dsn host in the path of another host",
			span: semconvSpan(trace.SpanKindClient, "POST",
				attribute.String("url.full", "https://example.com/o1.ingest.sentry.io/api/42/envelope/")),
			want: false,
		},
		{
			name: "same host other path",
			span: semconvSpan(trace.SpanKindClient, "GET",
				attribute.String("url.full", "https://o1.ingest.sentry.io/api/42/events/")),
			want: false,
		},
		{
			name: "empty project",
			span: semconvSpan(trace.SpanKindClient, "GET",
				attribute.String("url.full", "https://o1.ingest.sentry.io/api//envelope/")),
			want: false,
		},
		{
			name: "parameter merely ending in sentry_key",
			span: semconvSpan(trace.SpanKindClient, "GET",
				attribute.String("url.full", "https://o1.ingest.sentry.io/x?not_sentry_key=1")),
			want: false,
		},
		{
			name: "sentry_key in the fragment",
			span: semconvSpan(trace.SpanKindClient, "GET",
				attribute.String("url.full", "https://o1.ingest.sentry.io/x#sentry_key=1")),
			want: false,
		},
		{
			name: "server span",
			span: semconvSpan(trace.SpanKindServer, "POST",
				attribute.String("url.full", "https://o1.ingest.sentry.io/api/42/envelope/")),
			want: false,
		},
		{
			name: "internal span",
			span: semconvSpan(trace.SpanKindInternal, "POST",
				attribute.String("url.full", "https://o1.ingest.sentry.io/api/42/envelope/")),
			want: false,
		},
		{
			name: "empty dsn host",
			span: semconvSpan(trace.SpanKindClient, "POST",
				attribute.String("url.full", "https://o1.ingest.sentry.io/api/42/envelope/")),
			dsnHost: "-",
			want:    false,
		},
		{
			name: "client span without url",
			span: semconvSpan(trace.SpanKindClient, "POST"),
			want: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := dsnHost
			switch tt.dsnHost {
			case "":
			case "-":
				host = ""
			default:
				host = tt.dsnHost
			}
			if got := isSentryUpload(tt.span, host, tt.project); got != tt.want {
				t.Errorf("isSentryUpload(%q) = %v, want %v", host, got, tt.want)
			}
		})
	}
}
