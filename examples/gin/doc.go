// Command gin is a small gin service traced with OpenTelemetry and reported
// to Sentry through otelsentry.
//
// The otelgin middleware makes a server span per request; otelsentry's
// propagator continues the trace of a caller that runs a Sentry SDK (its
// sentry-trace and baggage headers), its sampler follows the caller's
// sampling decision, and its span processor sends each request to Sentry as
// a transaction named after the route, such as "GET /users/:id".
//
// Run it with a DSN of your project, then call it:
//
//	SENTRY_DSN=https://<key>@o<org>.ingest.sentry.io/<project> go run ./gin
//	curl localhost:8080/users/1
//
// Environment: SENTRY_DSN (empty: nothing is sent), SENTRY_RELEASE,
// SENTRY_ENVIRONMENT, and ADDR, the address to listen on (default
// localhost:8080).
package main
