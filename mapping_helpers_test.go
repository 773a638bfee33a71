package otelsentry

import (
	"github.com/getsentry/sentry-go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// The mapping tests read one span at a time; the processor reads a span's
// attributes once for the mapping, the status and the data (factsOf).

// statusFor is statusFrom for the span s.
func statusFor(s sdktrace.ReadOnlySpan) sentry.SpanStatus {
	a := readSpanAttrs(s.Attributes())
	return statusFrom(s.Status().Code, s.Status().Description, &a)
}

// spanData is spanDataFrom for the span s, with its scope and every
// attribute unfiltered.
func spanData(s sdktrace.ReadOnlySpan, dst map[string]any) map[string]any {
	return spanDataFrom(s, s.Attributes(), dataOptions{withScope: true}, dst)
}
