// Package amqpcarrier carries OpenTelemetry and Sentry trace context through
// RabbitMQ messages, for programs that use github.com/rabbitmq/amqp091-go.
//
// [Carrier] adapts the headers of a message ([amqp091.Table]) to
// [propagation.TextMapCarrier], so that any propagator, among them
// otelsentry's sentry-trace and baggage propagator, can write a trace into a
// message and read it back on the other side:
//
//   - on the producer side, [StartPublishSpan] starts a PRODUCER span
//     "publish <queue>" and writes its context into the message's headers;
//     [Inject] writes a context without starting a span;
//   - on the consumer side, [StartConsumerSpan] reads the headers of a
//     delivery and starts a CONSUMER span "process <queue>" that continues
//     the producer's trace. With otelsentry's propagator, the context it
//     returns also holds the caller's frozen Dynamic Sampling Context.
//
// Both spans carry the messaging attributes of the OpenTelemetry semantic
// conventions (https://opentelemetry.io/docs/specs/semconv/messaging/) and
// the ones Sentry's Queues insight reads
// (https://develop.sentry.dev/sdk/telemetry/traces/modules/queues/), which
// otelsentry's span processor turns into queue.publish and queue.process
// spans.
//
// Copy this package into your service and adapt it: it is an example, not
// a library with a stable API.
package amqpcarrier
