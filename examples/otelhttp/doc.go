// Package otelhttp tests otelsentry with net/http services instrumented by
// go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp, the way a
// new user sets them up: what reaches Sentry from otelhttp's spans.
package otelhttp
