// Package interop proves that otelsentry joins one trace with peers this
// project did not write: services on sentry-go's own tracing (sentryhttp,
// and its httpclient round tripper for outgoing calls), and a plain
// OpenTelemetry service that speaks only W3C TraceContext and Baggage. Each
// check starts real services on loopback, each with a loopback Sentry of its
// own, sends one request through them, and asserts one trace id, each
// transaction's parent being the caller's client span, and the DSC on every
// otelsentry envelope and in every header sent on.
package interop
