// Command accounts is the in-process tour of otelsentry's mapping: one
// password reset through a Go service with SQL, two HTTP calls and
// RabbitMQ, with the browser's headers simulated, and what Sentry receives
// of it. The demo of the whole system, with a real browser and separate
// services, is ../resetpassword.
//
// Everything runs in one process, on loopback, except the RabbitMQ broker
// (OTELSENTRY_AMQP_URL, default amqp://guest:guest@127.0.0.1:5672/; start
// one with scripts/rabbitmq.sh start):
//
//   - a fake Sentry that receives sentry-go's real envelopes;
//   - the accounts service (gin with otelgin), whose POST /reset-password
//     runs five SQL statements through otelsql on SQLite, calls a risk
//     scoring service and a mailer through an otelhttp transport, and
//     publishes a message to RabbitMQ;
//   - the two downstream services, plain HTTP servers that record the trace
//     headers they receive;
//   - a worker that consumes the message in its own transaction, continuing
//     the trace.
//
// The "browser" sends the request with the sentry-trace and baggage headers
// of a frontend (a Dynamic Sampling Context of nine members). After the
// worker is done, the demo stops the services, flushes the span processor
// and sentry-go, and prints each transaction Sentry received: its name, op,
// source, status, trace and parent, its spans, and the DSC of its envelope,
// then a verdict. It exits with status 1 when the verdict fails.
//
// Run it from the examples module, with a broker running:
//
//	go run ./accounts
package main
