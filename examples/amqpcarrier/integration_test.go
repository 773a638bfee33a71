package amqpcarrier

import (
	"context"
	"crypto/rand"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/otelsentry/otelsentry"
	amqp "github.com/rabbitmq/amqp091-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelsentry/otelsentry/examples/internal/testbroker"
)

// The caller of the producer: a browser with Sentry's JavaScript SDK.
const (
	callerTrace   = "771a43a4192642f0b136d5159a501700"
	callerSpan    = "b7ad6b7169203331"
	callerBaggage = "sentry-trace_id=771a43a4192642f0b136d5159a501700,sentry-public_key=49d0f7386ad645858ae85020e393bef3," +
		"sentry-sample_rate=0.25,sentry-sample_rand=0.0731,sentry-sampled=true,sentry-release=web%404.2.0," +
		"sentry-environment=production,sentry-transaction=%2Faccount,sentry-org_id=1234567"
)

var callerDSC = map[string]string{
	"trace_id": callerTrace, "public_key": "49d0f7386ad645858ae85020e393bef3", "sample_rate": "0.25",
	"sample_rand": "0.0731", "sampled": "true", "release": "web@4.2.0", "environment": "production",
	"transaction": "/account", "org_id": "1234567",
}

// TestBrokerContinuesTrace publishes through a real RabbitMQ broker and
// checks that the consumer continues the producer's trace and gets the
// caller's frozen DSC.
func TestBrokerContinuesTrace(t *testing.T) {
	ch := openChannel(t)
	q, err := ch.QueueDeclare("", false, false, true, false, nil) // server-named, exclusive
	if err != nil {
		t.Fatal(err)
	}

	tracer, rec := newRecordingTracer(t)
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}, otelsentry.NewPropagator())
	req := http.Header{}
	req.Set("sentry-trace", callerTrace+"-"+callerSpan+"-1")
	req.Set("baggage", callerBaggage)
	ctx := prop.Extract(context.Background(), propagation.HeaderCarrier(req))

	msg := amqp.Publishing{MessageId: "reset-7", Timestamp: time.Now(), ContentType: "application/json", Body: []byte(`{"user_id":7}`)}
	publish(t, ch, ctx, tracer, prop, q.Name, &msg)

	d := receive(t, ch, q.Name)
	cctx, span := StartConsumerSpan(context.Background(), tracer, prop, d, q.Name)
	if err := d.Ack(false); err != nil {
		t.Fatal(err)
	}
	span.End()

	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want 2", len(spans))
	}
	producer, consumer := spans[0], spans[1]
	if got := producer.SpanContext().TraceID().String(); got != callerTrace {
		t.Errorf("producer trace %s, want the caller's %s", got, callerTrace)
	}
	if got := producer.Parent().SpanID().String(); got != callerSpan {
		t.Errorf("producer parent %s, want the caller's span %s", got, callerSpan)
	}
	if consumer.SpanContext().TraceID() != producer.SpanContext().TraceID() {
		t.Errorf("consumer trace %s, want the producer's %s", consumer.SpanContext().TraceID(), producer.SpanContext().TraceID())
	}
	if consumer.Parent().SpanID() != producer.SpanContext().SpanID() || !consumer.Parent().IsRemote() {
		t.Errorf("consumer parent %s, want the producer span %s", consumer.Parent().SpanID(), producer.SpanContext().SpanID())
	}
	if !consumer.SpanContext().IsSampled() {
		t.Error("consumer span not sampled: the caller's decision was lost")
	}

	dsc, ok := otelsentry.DynamicSamplingContextFromContext(cctx)
	if !ok {
		t.Fatal("no DSC in the consumer's context")
	}
	if got := maps.Collect(dsc.All()); !maps.Equal(got, callerDSC) {
		t.Errorf("consumer DSC %v,\nwant the caller's %v", got, callerDSC)
	}

	attrs := attrMap(consumer.Attributes())
	if attrs["messaging.message.id"].AsString() != "reset-7" {
		t.Errorf("messaging.message.id = %q, want reset-7", attrs["messaging.message.id"].String())
	}
	if _, ok := attrs[ReceiveLatencyKey]; !ok {
		t.Error("no receive latency although the message has a timestamp")
	}
}

// TestBrokerRetryCount dead-letters a message once and checks that the
// consumer of the dead-letter queue reads the broker's real x-death header.
func TestBrokerRetryCount(t *testing.T) {
	ch := openChannel(t)
	dead, err := ch.QueueDeclare("", false, false, true, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	work, err := ch.QueueDeclare("", false, false, true, false, amqp.Table{
		"x-dead-letter-exchange":    "",
		"x-dead-letter-routing-key": dead.Name,
	})
	if err != nil {
		t.Fatal(err)
	}
	tracer, rec := newRecordingTracer(t)
	prop := propagation.TraceContext{}

	publish(t, ch, context.Background(), tracer, prop, work.Name, &amqp.Publishing{Body: []byte("x")})
	if err := receive(t, ch, work.Name).Nack(false, false); err != nil { // dead-letter it
		t.Fatal(err)
	}
	d := receive(t, ch, dead.Name)
	_, span := StartConsumerSpan(context.Background(), tracer, prop, d, dead.Name)
	span.End()
	_ = d.Ack(false)

	consumer := rec.Ended()[1]
	if got := attrMap(consumer.Attributes())[RetryCountKey]; got != attribute.Int64Value(1) {
		t.Errorf("retry count %v, want 1 (x-death: %v)", got.String(), d.Headers["x-death"])
	}
}

// openChannel connects to the test broker and returns a channel in confirm
// mode, closed when the test ends.
func openChannel(t *testing.T) *amqp.Channel {
	t.Helper()
	conn, err := amqp.Dial(testbroker.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	return ch
}

// publish publishes msg to queue under a publish span and waits for the
// broker's confirmation.
func publish(t *testing.T, ch *amqp.Channel, ctx context.Context, tracer trace.Tracer,
	prop propagation.TextMapPropagator, queue string, msg *amqp.Publishing,
) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ctx, span := StartPublishSpan(ctx, tracer, prop, queue, msg)
	defer span.End()
	conf, err := ch.PublishWithDeferredConfirmWithContext(ctx, "", queue, false, false, *msg)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := conf.WaitContext(ctx); err != nil || !ok {
		t.Fatalf("broker did not confirm the message: ok=%v err=%v", ok, err)
	}
}

// receive consumes one message from queue, waiting up to ten seconds, and
// cancels the consumer. The message is left for the caller to acknowledge.
//
// The consumer is cancelled here, synchronously, not by a context given to
// ConsumeWithContext: that cancels from a goroutine of its own, and two
// calls in flight on one amqp091 channel may take each other's replies.
func receive(t *testing.T, ch *amqp.Channel, queue string) amqp.Delivery {
	t.Helper()
	tag := "receive-" + rand.Text()
	deliveries, err := ch.Consume(queue, tag, false, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := ch.Cancel(tag, false); err != nil {
			t.Error(err)
		}
	}()
	select {
	case d, ok := <-deliveries:
		if !ok {
			t.Fatalf("consumer of %s closed", queue)
		}
		return d
	case <-time.After(10 * time.Second):
		t.Fatalf("no message on %s", queue)
	}
	return amqp.Delivery{}
}
