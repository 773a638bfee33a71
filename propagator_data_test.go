package otelsentry

import (
	"go.opentelemetry.io/otel/trace"
)

// Golden vectors shared by the tests and benchmarks of the propagator.
var (
	goldenTraceID = trace.TraceID{0x77, 0x1a, 0x43, 0xa4, 0x19, 0x2f, 0x42, 0x2d, 0x97, 0x3c, 0x11, 0x2e, 0x5b, 0x42, 0x4e, 0xa0}
	goldenSpanID  = trace.SpanID{0xb4, 0x5c, 0x7e, 0x1d, 0x2a, 0x3b, 0x4c, 0x5d}
)

const (
	goldenTraceHex = "771a43a4192f422d973c112e5b424ea0"
	goldenSpanHex  = "b45c7e1d2a3b4c5d"

	// frontendSentryTrace is what a browser SDK sends for a sampled trace.
	frontendSentryTrace = goldenTraceHex + "-" + goldenSpanHex + "-1"
	// frontendBaggage is a browser SDK's 9-member DSC with two members of
	// other vendors around it.
	frontendBaggage = "other-vendor-value-1=foo;bar;baz, " +
		"sentry-trace_id=" + goldenTraceHex + "," +
		"sentry-public_key=49d0f7386ad645858ae85020e393bef3," +
		"sentry-sample_rate=0.25," +
		"sentry-sample_rand=0.123456," +
		"sentry-sampled=true," +
		"sentry-release=frontend%401.2.3," +
		"sentry-environment=production," +
		"sentry-transaction=%2Fcheckout%2F%3Aid," +
		"sentry-org_id=123, " +
		"other-vendor-value-2=bar"
	testDSN = "https://49d0f7386ad645858ae85020e393bef3@o123.ingest.sentry.io/42"
)

// sentryTraceVector is a sentry-trace header and what Extract must make of it.
type sentryTraceVector struct {
	name     string
	header   string
	traceID  trace.TraceID
	spanID   trace.SpanID
	decision decision
	err      error // nil for a valid header
}

var sentryTraceVectors = []sentryTraceVector{
	{name: "sampled", header: goldenTraceHex + "-" + goldenSpanHex + "-1", traceID: goldenTraceID, spanID: goldenSpanID, decision: decisionSampled},
	{name: "not sampled", header: goldenTraceHex + "-" + goldenSpanHex + "-0", traceID: goldenTraceID, spanID: goldenSpanID, decision: decisionNotSampled},
	{name: "deferred", header: goldenTraceHex + "-" + goldenSpanHex, traceID: goldenTraceID, spanID: goldenSpanID, decision: decisionDeferred},
	{name: "spaces and tabs trimmed", header: " \t" + goldenTraceHex + "-" + goldenSpanHex + "-1\t ", traceID: goldenTraceID, spanID: goldenSpanID, decision: decisionSampled},
	{name: "first of comma-joined", header: goldenTraceHex + "-" + goldenSpanHex + "-0, 11111111111111111111111111111111-2222222222222222-1", traceID: goldenTraceID, spanID: goldenSpanID, decision: decisionNotSampled},
	{name: "first non-empty of comma-joined", header: " , ," + goldenTraceHex + "-" + goldenSpanHex + "-1", traceID: goldenTraceID, spanID: goldenSpanID, decision: decisionSampled},

	{name: "empty", header: "", err: errSentryTraceEmpty},
	{name: "only spaces and commas", header: " , \t,", err: errSentryTraceEmpty},
	{name: "flag alone", header: "1", err: errSentryTraceLength},
	{name: "trace id only", header: goldenTraceHex, err: errSentryTraceLength},
	{name: "short trace id", header: goldenTraceHex[1:] + "-" + goldenSpanHex + "-1", err: errSentryTraceLength},
	{name: "long span id", header: goldenTraceHex + "-" + goldenSpanHex + "0-1", err: errSentryTraceLength},
	{name: "dash in span id", header: goldenTraceHex + "-" + goldenSpanHex[:14] + "-0-1", err: errSentryTraceHex},
	{name: "extra part", header: goldenTraceHex + "-" + goldenSpanHex + "-1-1", err: errSentryTraceLength},
	{name: "flag 2", header: goldenTraceHex + "-" + goldenSpanHex + "-2", err: errSentryTraceFlag},
	{name: "flag x", header: goldenTraceHex + "-" + goldenSpanHex + "-x", err: errSentryTraceFlag},
	{name: "uppercase hex", header: "771A43A4192F422D973C112E5B424EA0-" + goldenSpanHex + "-1", err: errSentryTraceHex},
	{name: "non-hex", header: "771a43a4192f422d973c112e5b424eaz-" + goldenSpanHex + "-1", err: errSentryTraceHex},
	{name: "underscore separator", header: goldenTraceHex + "_" + goldenSpanHex + "-1", err: errSentryTraceSyntax},
	{name: "missing dash before flag", header: goldenTraceHex + "-" + goldenSpanHex + "01", err: errSentryTraceSyntax},
	{name: "all-zero trace id", header: "00000000000000000000000000000000-" + goldenSpanHex + "-1", err: errSentryTraceZeroID},
	{name: "all-zero span id", header: goldenTraceHex + "-0000000000000000-1", err: errSentryTraceZeroSpan},
	{name: "traceparent form", header: "00-" + goldenTraceHex + "-" + goldenSpanHex + "-01", err: errSentryTraceLength},
	{name: "invalid utf-8", header: "\xff\xfe" + goldenTraceHex[2:] + "-" + goldenSpanHex + "-1", err: errSentryTraceHex},
	{name: "inner space", header: goldenTraceHex + " -" + goldenSpanHex + "-1", err: errSentryTraceLength},
}

// baggageVector is a baggage header and the DSC members Extract must keep.
type baggageVector struct {
	name   string
	header string
	want   [][2]string
	err    error
}

var baggageVectors = []baggageVector{
	{name: "frontend", header: frontendBaggage, want: [][2]string{
		{"trace_id", goldenTraceHex}, {"public_key", "49d0f7386ad645858ae85020e393bef3"},
		{"sample_rate", "0.25"}, {"sample_rand", "0.123456"}, {"sampled", "true"},
		{"release", "frontend@1.2.3"}, {"environment", "production"},
		{"transaction", "/checkout/:id"}, {"org_id", "123"},
	}},
	{name: "properties ignored", header: "sentry-release=1.0;prop=1;flag", want: [][2]string{{"release", "1.0"}}},
	{name: "spaces around key and value", header: " sentry-release \t= 1.0 ", want: [][2]string{{"release", "1.0"}}},
	{name: "last member of a key wins", header: "sentry-release=1,sentry-release=2", want: [][2]string{{"release", "2"}}},
	{name: "empty value kept", header: "sentry-release=", want: [][2]string{{"release", ""}}},
	{name: "others only", header: "a=1,b=2", want: nil},
	{name: "empty members", header: ",,sentry-release=1,,", want: [][2]string{{"release", "1"}}},
	{name: "bad escape costs one member", header: "sentry-release=%zz,sentry-environment=prod", want: [][2]string{{"environment", "prod"}}, err: errBaggageValue},
	{name: "truncated escape", header: "sentry-environment=prod,sentry-release=1%2", want: [][2]string{{"environment", "prod"}}, err: errBaggageValue},
	{name: "no equals", header: "sentry-release,sentry-environment=prod", want: [][2]string{{"environment", "prod"}}, err: errBaggageMember},
	{name: "space in value", header: "sentry-release=a b,sentry-environment=prod", want: [][2]string{{"environment", "prod"}}, err: errBaggageValue},
	{name: "bare prefix key", header: "sentry-=1,sentry-environment=prod", want: [][2]string{{"environment", "prod"}}, err: errBaggageMember},
	{name: "invalid key char", header: "sentry-re(lease=1,sentry-environment=prod", want: [][2]string{{"environment", "prod"}}, err: errBaggageMember},
	{name: "invalid utf-8 value", header: "sentry-release=\xff,sentry-environment=prod", want: [][2]string{{"environment", "prod"}}, err: errBaggageValue},
	{name: "utf-8 decoded", header: "sentry-transaction=caf%C3%A9", want: [][2]string{{"transaction", "café"}}},
	{name: "plus stays plus", header: "sentry-release=1+2", want: [][2]string{{"release", "1+2"}}},
}
