package amqpcarrier

import (
	"context"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Attributes of Sentry's Queues insight that the OpenTelemetry semantic
// conventions do not define.
const (
	// RetryCountKey is how many times the message was retried before this
	// attempt; with RabbitMQ, how often it was dead-lettered.
	RetryCountKey = attribute.Key("messaging.message.retry.count")
	// ReceiveLatencyKey is the time, in milliseconds, from the message's
	// publication to its delivery to the consumer.
	ReceiveLatencyKey = attribute.Key("messaging.message.receive.latency")
)

// Headers of a message that StartConsumerSpan reads.
const (
	// headerXDeath lists, per queue and reason, how often the message was
	// dead-lettered: an array of tables with "queue" and "count".
	headerXDeath = "x-death"
	// headerTimestampMS is the publication time in Unix milliseconds, set
	// by the broker when its set_header_timestamp message interceptor is
	// enabled (RabbitMQ 3.12+), or by a producer that wants the consumer to
	// measure latency to the millisecond.
	headerTimestampMS = "timestamp_in_ms"
)

// StartPublishSpan starts a PRODUCER span "publish <queue>" for msg, a
// message about to be published through the default exchange to queue, and
// writes the span's trace context into msg.Headers with prop (allocating
// the table when nil). End the span once the broker has confirmed the
// message, and record there any error of the publication.
//
// The span carries messaging.system, messaging.operation.type (send),
// messaging.operation.name (publish), messaging.destination.name (queue),
// messaging.rabbitmq.destination.routing_key, messaging.message.body.size
// and, when msg.MessageId is set, messaging.message.id, which Sentry uses to
// match the publication with its processing. opts are applied after these.
func StartPublishSpan(ctx context.Context, tracer trace.Tracer, prop propagation.TextMapPropagator,
	queue string, msg *amqp.Publishing, opts ...trace.SpanStartOption,
) (context.Context, trace.Span) {
	attrs := []attribute.KeyValue{
		semconv.MessagingSystemRabbitMQ,
		semconv.MessagingOperationTypeSend,
		semconv.MessagingOperationName("publish"),
		semconv.MessagingDestinationName(queue),
		semconv.MessagingRabbitMQDestinationRoutingKey(queue),
		semconv.MessagingMessageBodySize(len(msg.Body)),
	}
	if msg.MessageId != "" {
		attrs = append(attrs, semconv.MessagingMessageID(msg.MessageId))
	}
	start := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(attrs...)}
	ctx, span := tracer.Start(ctx, "publish "+queue, append(start, opts...)...)
	msg.Headers = Inject(ctx, prop, msg.Headers)
	return ctx, span
}

// StartConsumerSpan reads the trace context of d's headers with prop and
// starts a CONSUMER span "process <queue>" that continues it, for the
// processing of d, a delivery from queue. End the span once the delivery is
// acknowledged or rejected, and record there any error of the processing.
//
// The returned context holds the span and whatever else prop extracted:
// with otelsentry's propagator, the caller's frozen Dynamic Sampling
// Context (otelsentry.DynamicSamplingContextFromContext).
//
// The span carries messaging.system, messaging.operation.type and
// messaging.operation.name (process), messaging.destination.name (queue),
// messaging.rabbitmq.destination.routing_key,
// messaging.rabbitmq.message.delivery_tag, messaging.message.body.size,
// messaging.message.id when d.MessageId is set, and two of Sentry's keys:
//
//   - messaging.message.retry.count, from RabbitMQ's x-death header, when
//     the message was dead-lettered before (see retryCount);
//   - messaging.message.receive.latency in milliseconds, from the
//     timestamp_in_ms header that RabbitMQ can add, else from d.Timestamp
//     when the producer set it. AMQP timestamps have a resolution of one
//     second, so the latter may overstate the latency by up to a second.
//
// opts are applied after these.
func StartConsumerSpan(ctx context.Context, tracer trace.Tracer, prop propagation.TextMapPropagator,
	d amqp.Delivery, queue string, opts ...trace.SpanStartOption,
) (context.Context, trace.Span) {
	ctx = Extract(ctx, prop, d.Headers)
	attrs := []attribute.KeyValue{
		semconv.MessagingSystemRabbitMQ,
		semconv.MessagingOperationTypeProcess,
		semconv.MessagingOperationName("process"),
		semconv.MessagingDestinationName(queue),
		semconv.MessagingRabbitMQDestinationRoutingKey(d.RoutingKey),
		semconv.MessagingRabbitMQMessageDeliveryTag(int(d.DeliveryTag)),
		semconv.MessagingMessageBodySize(len(d.Body)),
	}
	if d.MessageId != "" {
		attrs = append(attrs, semconv.MessagingMessageID(d.MessageId))
	}
	if n, ok := retryCount(d.Headers, queue); ok {
		attrs = append(attrs, RetryCountKey.Int64(n))
	}
	if ms, ok := receiveLatency(d, time.Now()); ok {
		attrs = append(attrs, ReceiveLatencyKey.Int64(ms))
	}
	start := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(attrs...)}
	return tracer.Start(ctx, "process "+queue, append(start, opts...)...)
}

// retryCount returns how many times the message was dead-lettered, from the
// x-death header: the count of the entry for queue, the queue being
// consumed, else the largest count, which in a retry loop through a second
// queue is the same number. It reports false when there is no such header.
func retryCount(headers amqp.Table, queue string) (int64, bool) {
	deaths, ok := headers[headerXDeath].([]any)
	if !ok {
		return 0, false
	}
	var largest int64
	found := false
	for _, d := range deaths {
		death, ok := d.(amqp.Table)
		if !ok {
			continue
		}
		n, ok := asInt64(death["count"])
		if !ok {
			continue
		}
		if q, _ := death["queue"].(string); q == queue {
			return n, true
		}
		largest, found = max(largest, n), true
	}
	return largest, found
}

// receiveLatency returns the milliseconds from the publication of d to now,
// never negative (clocks differ between hosts), and false when the
// publication time is unknown.
func receiveLatency(d amqp.Delivery, now time.Time) (int64, bool) {
	var sent time.Time
	if ms, ok := asInt64(d.Headers[headerTimestampMS]); ok && ms > 0 {
		sent = time.UnixMilli(ms)
	} else if !d.Timestamp.IsZero() {
		sent = d.Timestamp
	} else {
		return 0, false
	}
	return max(now.Sub(sent).Milliseconds(), 0), true
}

// asInt64 returns v as an int64 when it is one of the integer types an AMQP
// table decodes to.
func asInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int32:
		return int64(n), true
	case int16:
		return int64(n), true
	case int8:
		return int64(n), true
	case int:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint8:
		return int64(n), true
	}
	return 0, false
}
