package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/otelsentry/otelsentry"
	amqp "github.com/rabbitmq/amqp091-go"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelsentry/otelsentry/examples/amqpcarrier"
)

// eventResetRequested is the type of the message the accounts service
// publishes once a reset mail is on its way.
const eventResetRequested = "password_reset.requested"

// resetRequested is the body of that message.
type resetRequested struct {
	UserID int64     `json:"user_id"`
	At     time.Time `json:"at"`
}

// declareQueue declares the demo's queue on ch: exclusive to the demo's
// connection and deleted when it closes, so that a run never sees another
// run's messages. A service would declare a durable queue instead.
func declareQueue(ch *amqp.Channel, name string) error {
	_, err := ch.QueueDeclare(name, false, false, true, false, nil)
	return err
}

// publisher publishes the accounts service's events to a queue, each under
// a publish span whose context travels in the message's headers.
type publisher struct {
	ch     *amqp.Channel // in confirm mode
	queue  string
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
}

// newPublisher opens a channel of conn in confirm mode for publishing to
// queue.
func newPublisher(conn *amqp.Connection, queue string, tracer trace.Tracer, prop propagation.TextMapPropagator) (*publisher, error) {
	ch, err := conn.Channel()
	if err != nil {
		return nil, err
	}
	if err := ch.Confirm(false); err != nil {
		_ = ch.Close()
		return nil, err
	}
	return &publisher{ch: ch, queue: queue, tracer: tracer, prop: prop}, nil
}

// publish sends ev and waits for the broker to confirm it. The publish span
// is a child of the span in ctx and lasts until the confirmation.
func (p *publisher) publish(ctx context.Context, ev resetRequested) (err error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	now := time.Now()
	msg := amqp.Publishing{
		ContentType: "application/json",
		Type:        eventResetRequested,
		MessageId:   rand.Text(), // links the publish and process spans in Sentry
		Timestamp:   now,
		// The publication time to the millisecond, for the consumer's
		// receive latency: AMQP's Timestamp holds whole seconds. RabbitMQ
		// 3.12+ can set this header itself (set_header_timestamp).
		Headers: amqp.Table{"timestamp_in_ms": now.UnixMilli()},
		Body:    body,
	}
	ctx, span := amqpcarrier.StartPublishSpan(ctx, p.tracer, p.prop, p.queue, &msg)
	defer func() {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}()

	conf, err := p.ch.PublishWithDeferredConfirmWithContext(ctx, "", p.queue, false, false, msg)
	if err != nil {
		return err
	}
	acked, err := conf.WaitContext(ctx)
	if err != nil {
		return err
	}
	if !acked {
		return errors.New("the broker refused the message")
	}
	return nil
}

// close closes the publisher's channel.
func (p *publisher) close() error {
	return p.ch.Close()
}

// processed is what the worker reports of each message it handled.
type processed struct {
	MessageID string
	// DSC is the Dynamic Sampling Context that arrived with the message.
	DSC otelsentry.DynamicSamplingContext
	Err error
}

// worker consumes the accounts service's events, each in its own Sentry
// transaction "process <queue>" that continues the trace of the request
// that published it.
type worker struct {
	ch     *amqp.Channel
	queue  string
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
	store  *store
	// done, if not nil, is called after each message's span has ended.
	done func(processed)
}

// newWorker opens a channel of conn for consuming from queue. The channel
// is the worker's alone: run's ConsumeWithContext cancels the consumer from
// a goroutine of its own when ctx ends, and two calls in flight on one
// amqp091 channel may take each other's replies.
func newWorker(conn *amqp.Connection, queue string, tracer trace.Tracer, prop propagation.TextMapPropagator, st *store, done func(processed)) (*worker, error) {
	ch, err := conn.Channel()
	if err != nil {
		return nil, err
	}
	// One unacknowledged message at a time: the worker handles them in turn.
	if err := ch.Qos(1, 0, false); err != nil {
		_ = ch.Close()
		return nil, err
	}
	return &worker{ch: ch, queue: queue, tracer: tracer, prop: prop, store: st, done: done}, nil
}

// run consumes messages until ctx ends or the channel closes.
func (w *worker) run(ctx context.Context) error {
	deliveries, err := w.ch.ConsumeWithContext(ctx, w.queue, "accounts-worker", false, false, false, false, nil)
	if err != nil {
		return fmt.Errorf("consume %s: %w", w.queue, err)
	}
	for d := range deliveries {
		w.handle(ctx, d)
	}
	return nil
}

// handle processes one delivery under a consumer span, then acknowledges
// it, or rejects it when processing failed.
func (w *worker) handle(ctx context.Context, d amqp.Delivery) {
	ctx, span := amqpcarrier.StartConsumerSpan(ctx, w.tracer, w.prop, d, w.queue)
	// The caller's DSC, frozen by the propagator: this transaction's
	// envelope carries it, and so would any request the worker makes.
	dsc, _ := otelsentry.DynamicSamplingContextFromContext(ctx)

	err := w.process(ctx, d)
	if err == nil {
		err = d.Ack(false)
	} else {
		// Not requeued: it would fail again. Give the queue a dead-letter
		// exchange to keep such messages.
		_ = d.Nack(false, false)
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()

	if w.done != nil {
		w.done(processed{MessageID: d.MessageId, DSC: dsc, Err: err})
	}
}

// process records the event in the audit log.
func (w *worker) process(ctx context.Context, d amqp.Delivery) error {
	var ev resetRequested
	if err := json.Unmarshal(d.Body, &ev); err != nil {
		return fmt.Errorf("message %s: %w", d.MessageId, err)
	}
	return w.store.recordAudit(ctx, ev.UserID, d.Type, d.MessageId, ev.At)
}

// close closes the worker's channel.
func (w *worker) close() error {
	return w.ch.Close()
}
