package benchmarks

import (
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// The incoming request: a Sentry frontend (browser SDK) of organization 123
// calls the backend. Values are encoded as the JavaScript SDK encodes them.
const (
	frontendTraceID = "771a43a4192f422d973c112e5b424ea0"
	frontendSpanID  = "b45c7e1d2a3b4c5d"

	// sentryTraceValue is the frontend's sampled sentry-trace header.
	sentryTraceValue = frontendTraceID + "-" + frontendSpanID + "-1"
	// traceparentValue is the same parent as a W3C traceparent, for the
	// OpenTelemetry composite.
	traceparentValue = "00-" + frontendTraceID + "-" + frontendSpanID + "-01"

	// baggageValue carries the frontend's 9-member DSC and 2 members of
	// other vendors.
	baggageValue = "sentry-trace_id=" + frontendTraceID +
		",sentry-public_key=b5f1e7a93c2d4e8f9a0b1c2d3e4f5a6b" +
		",sentry-sample_rate=0.25" +
		",sentry-sample_rand=0.0831442" +
		",sentry-sampled=true" +
		",sentry-release=web-frontend%402.14.0" +
		",sentry-environment=production" +
		",sentry-transaction=%2Freset-password" +
		",sentry-org_id=123" +
		",rum=1" +
		",exp=checkout-v2"

	// backendDSN is the backend's project, in the frontend's organization.
	backendDSN = "https://49d0f7386ad645858ae85020e393bef3@o123.ingest.sentry.io/42"
)

// The backend's resource.
var serviceAttributes = []attribute.KeyValue{
	semconv.ServiceName("auth-service"),
	semconv.ServiceVersion("1.8.3"),
	semconv.DeploymentEnvironmentName("production"),
}

// resetPasswordRequest is the request of BenchmarkProcessor: the server span
// "POST /reset-password" and its 8 children, in the stable semantic
// conventions.
var resetPasswordRequest = requestSpec{
	name: "POST /reset-password",
	kind: trace.SpanKindServer,
	start: []attribute.KeyValue{
		semconv.HTTPRequestMethodPost,
		semconv.HTTPRoute("/reset-password"),
		semconv.URLPath("/reset-password"),
	},
	end: []attribute.KeyValue{semconv.HTTPResponseStatusCode(200)},
	children: []childSpec{
		dbQuery("SELECT users",
			"SELECT id, email, password_hash, locked_at FROM users WHERE email = $1 LIMIT 1"),
		dbQuery("SELECT password_reset_tokens",
			"SELECT id, user_id, expires_at FROM password_reset_tokens "+
				"WHERE token_hash = $1 AND used_at IS NULL ORDER BY created_at DESC LIMIT 1"),
		httpCall("GET", "https://api.pwnedpasswords.com/range/21BD1", 200),
		dbQuery("UPDATE users",
			"UPDATE users SET password_hash = $1, password_changed_at = now(), failed_logins = 0 WHERE id = $2"),
		dbQuery("UPDATE password_reset_tokens",
			"UPDATE password_reset_tokens SET used_at = now() WHERE user_id = $1 AND used_at IS NULL"),
		dbQuery("INSERT audit_events",
			"INSERT INTO audit_events (user_id, kind, ip, user_agent, created_at) VALUES ($1, $2, $3, $4, now())"),
		mailCall,
		{
			name: "publish user.events",
			kind: trace.SpanKindProducer,
			start: []attribute.KeyValue{
				semconv.MessagingSystemRabbitMQ,
				semconv.MessagingOperationTypeKey.String("publish"),
				semconv.MessagingDestinationName("user.events"),
				semconv.MessagingMessageID("5f0c6a52-8b1e-4c3d-9a7f-2e6d1b4c8a90"),
				semconv.MessagingMessageBodySize(412),
			},
		},
	},
}

// mailCall is the request's call to the mail service, also the local span
// under which BenchmarkInject injects.
var mailCall = httpCall("POST", "https://mail.internal.example.com/v1/messages", 202)

// requestSpec describes a server span and its children. Attributes in start
// are given when a span starts, those in end just before it ends, as
// instrumentations do with a response status.
type requestSpec struct {
	name       string
	kind       trace.SpanKind
	start, end []attribute.KeyValue
	children   []childSpec
}

type childSpec struct {
	name       string
	kind       trace.SpanKind
	start, end []attribute.KeyValue
}

func dbQuery(name, query string) childSpec {
	return childSpec{
		name: name,
		kind: trace.SpanKindClient,
		start: []attribute.KeyValue{
			semconv.DBSystemNamePostgreSQL,
			semconv.DBQueryText(query),
		},
	}
}

func httpCall(method, url string, status int) childSpec {
	return childSpec{
		name: method,
		kind: trace.SpanKindClient,
		start: []attribute.KeyValue{
			semconv.HTTPRequestMethodKey.String(method),
			semconv.URLFull(url),
		},
		end: []attribute.KeyValue{semconv.HTTPResponseStatusCode(status)},
	}
}
