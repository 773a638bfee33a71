package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	amqp "github.com/rabbitmq/amqp091-go"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelsentry/otelsentry/examples/amqpcarrier"
)

// resetTask is the message the mailer consumes.
type resetTask struct {
	Email string    `json:"email"`
	At    time.Time `json:"at"`
}

// newRouter returns the API's routes: CORS first, then one otelgin server
// span per request, named after the route.
func newRouter(webOrigin string, tel *telemetry, pub *publisher) *gin.Engine {
	r := gin.New()
	r.Use(gin.Recovery(), cors(webOrigin),
		otelgin.Middleware(serviceName, otelgin.WithTracerProvider(tel.tp), otelgin.WithPropagators(tel.prop)))
	r.POST("/users/reset-password", func(c *gin.Context) { handleResetPassword(c, pub) })
	return r
}

// errBrokerDown reports that the task could not be queued.
var errBrokerDown = errors.New("the task queue is unavailable")

// handleResetPassword answers POST /users/reset-password {"email": "..."}.
func handleResetPassword(c *gin.Context, pub *publisher) {
	if c.Request.ContentLength == 0 {
		c.JSON(http.StatusBadRequest, gin.H{"error": "a JSON body {\"email\": ...} is required"})
		return
	}
	var req struct {
		Email string `json:"email"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, 4096)).Decode(&req); err != nil {
		c.JSON(http.StatusBadRequest, gin.H{"error": "the body is not valid JSON"})
		return
	}
	if _, err := mail.ParseAddress(req.Email); req.Email == "" || err != nil {
		c.JSON(http.StatusBadRequest, gin.H{"error": "a valid email address is required"})
		return
	}
	if err := pub.publish(c.Request.Context(), resetTask{Email: req.Email, At: time.Now()}); err != nil {
		// The server span records the error; otelsentry sends it to Sentry
		// as an error event linked to the transaction.
		span := trace.SpanFromContext(c.Request.Context())
		span.RecordError(err)
		span.SetStatus(codes.Error, errBrokerDown.Error())
		c.JSON(http.StatusServiceUnavailable, gin.H{"error": "we cannot send reset links right now, try again later"})
		return
	}
	// The same answer whether the address is known or not.
	c.JSON(http.StatusAccepted, gin.H{"status": "If the address is registered, a reset link is on its way."})
}

// publisher publishes reset tasks, connecting to the broker when it needs
// to, so that the API starts, and answers, while the broker is down.
type publisher struct {
	url, queue string
	tel        *telemetry

	mu   sync.Mutex
	conn *amqp.Connection
	ch   *amqp.Channel
}

func newPublisher(url, queue string, tel *telemetry) *publisher {
	return &publisher{url: url, queue: queue, tel: tel}
}

// channel returns an open channel in confirm mode, connecting first when
// there is none. Callers hold mu.
func (p *publisher) channel() (*amqp.Channel, error) {
	if p.ch != nil && !p.ch.IsClosed() {
		return p.ch, nil
	}
	p.closeLocked()
	conn, err := amqp.DialConfig(p.url, amqp.Config{Dial: amqp.DefaultDial(2 * time.Second)})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errBrokerDown, err)
	}
	ch, err := conn.Channel()
	if err == nil {
		err = ch.Confirm(false)
	}
	if err == nil {
		_, err = ch.QueueDeclare(p.queue, true, false, false, false, nil)
	}
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("%w: %v", errBrokerDown, err)
	}
	p.conn, p.ch = conn, ch
	return ch, nil
}

// publish sends the task through the RabbitMQ carrier, which starts a
// queue.publish span and writes the trace into the message's headers, and
// waits for the broker's confirmation.
func (p *publisher) publish(ctx context.Context, task resetTask) (err error) {
	body, err := json.Marshal(task)
	if err != nil {
		return err
	}
	now := time.Now()
	msg := amqp.Publishing{
		ContentType: "application/json",
		MessageId:   rand.Text(),
		Timestamp:   now,
		Headers:     amqp.Table{"timestamp_in_ms": now.UnixMilli()},
		Body:        body,
	}
	ctx, span := amqpcarrier.StartPublishSpan(ctx, p.tel.tp.Tracer(serviceName), p.tel.prop, p.queue, &msg)
	defer func() {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}()
	p.mu.Lock()
	defer p.mu.Unlock()
	ch, err := p.channel()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conf, err := ch.PublishWithDeferredConfirmWithContext(ctx, "", p.queue, false, false, msg)
	if err != nil {
		p.closeLocked()
		return fmt.Errorf("%w: %v", errBrokerDown, err)
	}
	if ok, err := conf.WaitContext(ctx); err != nil || !ok {
		p.closeLocked()
		return fmt.Errorf("%w: not confirmed (%v)", errBrokerDown, err)
	}
	return nil
}

func (p *publisher) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closeLocked()
}

func (p *publisher) closeLocked() {
	if p.conn != nil {
		_ = p.conn.Close()
	}
	p.conn, p.ch = nil, nil
}
