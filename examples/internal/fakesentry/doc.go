// Package fakesentry is a loopback stand-in for Sentry's ingestion endpoint,
// for the examples' tests and demo.
//
// A [Server] receives the envelopes that sentry-go's real HTTP transport
// posts to /api/<project>/envelope/, parses them with [ParseEnvelope] and
// keeps them, so a program can check what Sentry would have received:
// transactions, their spans, and the Dynamic Sampling Context in each
// envelope's trace header.
//
// The envelope format is described at
// https://develop.sentry.dev/sdk/data-model/envelopes/.
package fakesentry
