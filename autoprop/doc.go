// Package autoprop registers otelsentry's propagator with
// go.opentelemetry.io/contrib/propagators/autoprop under the name "sentry",
// so that OTEL_PROPAGATORS=sentry (or tracecontext,baggage,sentry) selects
// it. Import it for its side effect:
//
//	import _ "github.com/otelsentry/otelsentry/autoprop"
//
//	otel.SetTextMapPropagator(autoprop.NewTextMapPropagator())
//
// It is a module of its own, so that the library's go.mod does not depend on
// autoprop.
package autoprop
