package amqpcarrier_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/otelsentry/otelsentry"
	amqp "github.com/rabbitmq/amqp091-go"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/otelsentry/otelsentry/examples/amqpcarrier"
)

// The propagator of a service that talks to Sentry-instrumented callers:
// W3C trace context and baggage, then Sentry's headers, last so that they win.
var prop = propagation.NewCompositeTextMapPropagator(
	propagation.TraceContext{}, propagation.Baggage{}, otelsentry.NewPropagator(),
)

// Inject passes the trace of an incoming request, with the caller's frozen
// Dynamic Sampling Context, on to a message.
func ExampleInject() {
	// The headers a browser running Sentry's JavaScript SDK sent.
	req := http.Header{}
	req.Set("sentry-trace", "771a43a4192642f0b136d5159a501700-b7ad6b7169203331-1")
	req.Set("baggage", "sentry-trace_id=771a43a4192642f0b136d5159a501700,sentry-public_key=49d0f7386ad645858ae85020e393bef3,sentry-sample_rate=0.25,sentry-sample_rand=0.0731")
	ctx := prop.Extract(context.Background(), propagation.HeaderCarrier(req))

	msg := amqp.Publishing{Body: []byte("hello")}
	msg.Headers = amqpcarrier.Inject(ctx, prop, msg.Headers)

	c := amqpcarrier.Carrier(msg.Headers)
	for _, k := range c.Keys() {
		fmt.Printf("%s: %s\n", k, c.Get(k))
	}
	// Output:
	// baggage: sentry-trace_id=771a43a4192642f0b136d5159a501700,sentry-public_key=49d0f7386ad645858ae85020e393bef3,sentry-sample_rate=0.25,sentry-sample_rand=0.0731
	// sentry-trace: 771a43a4192642f0b136d5159a501700-b7ad6b7169203331-1
	// traceparent: 00-771a43a4192642f0b136d5159a501700-b7ad6b7169203331-01
}

// StartPublishSpan starts the producer's span and writes its trace into the
// message, for the consumer to continue.
func ExampleStartPublishSpan() {
	tp := sdktrace.NewTracerProvider()
	defer func() { _ = tp.Shutdown(context.Background()) }()
	tracer := tp.Tracer("example.com/accounts")

	msg := amqp.Publishing{MessageId: "6f1c2b3a", ContentType: "application/json", Body: []byte(`{"user_id":7}`)}
	_, span := amqpcarrier.StartPublishSpan(context.Background(), tracer, prop, "emails", &msg)
	// ... ch.PublishWithDeferredConfirmWithContext(ctx, "", "emails", false, false, msg),
	// then wait for the confirmation ...
	span.End()

	ro := span.(sdktrace.ReadOnlySpan)
	fmt.Println(ro.Name(), ro.SpanKind())
	sentryTrace := amqpcarrier.Carrier(msg.Headers).Get("sentry-trace")
	fmt.Println("sentry-trace names the span:", sentryTrace == ro.SpanContext().TraceID().String()+"-"+ro.SpanContext().SpanID().String()+"-1")
	// Output:
	// publish emails producer
	// sentry-trace names the span: true
}

// StartConsumerSpan continues the producer's trace, and the context it
// returns holds the Dynamic Sampling Context the producer forwarded.
func ExampleStartConsumerSpan() {
	tp := sdktrace.NewTracerProvider()
	defer func() { _ = tp.Shutdown(context.Background()) }()
	tracer := tp.Tracer("example.com/worker")

	// A delivery whose producer injected its trace, as a broker hands it over.
	d := amqp.Delivery{
		Headers: amqp.Table{
			"sentry-trace": "771a43a4192642f0b136d5159a501700-53995c3f42cd8ad8-1",
			"baggage":      []byte("sentry-trace_id=771a43a4192642f0b136d5159a501700,sentry-sample_rate=0.25,sentry-sample_rand=0.0731,sentry-release=web%404.2.0"),
		},
		MessageId: "6f1c2b3a",
		Body:      []byte(`{"user_id":7}`),
	}

	ctx, span := amqpcarrier.StartConsumerSpan(context.Background(), tracer, prop, d, "emails")
	// ... process the message with ctx, then d.Ack(false) ...
	span.End()

	ro := span.(sdktrace.ReadOnlySpan)
	fmt.Println(ro.Name(), ro.SpanKind())
	fmt.Println("trace: ", ro.SpanContext().TraceID())
	fmt.Println("parent:", ro.Parent().SpanID())
	dsc, _ := otelsentry.DynamicSamplingContextFromContext(ctx)
	for k, v := range dsc.All() {
		fmt.Printf("dsc %s=%s\n", k, v)
	}
	// Output:
	// process emails consumer
	// trace:  771a43a4192642f0b136d5159a501700
	// parent: 53995c3f42cd8ad8
	// dsc trace_id=771a43a4192642f0b136d5159a501700
	// dsc sample_rate=0.25
	// dsc sample_rand=0.0731
	// dsc release=web@4.2.0
}
