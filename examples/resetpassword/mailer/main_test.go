package main

import (
	"context"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/otelsentry/otelsentry/examples/internal/fakesentry"
	"github.com/otelsentry/otelsentry/examples/internal/testbroker"
)

// TestMalformedMessagesDoNotStopTheConsumer publishes a body that is not
// JSON, one whose address is not one, and one with malformed trace headers,
// then a good one: the mailer rejects the first two alone and mails the
// last two.
func TestMalformedMessagesDoNotStopTheConsumer(t *testing.T) {
	url := testbroker.URL(t)
	sink, err := fakesentry.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	queue := "password-reset-mailer-test"
	m, err := newMailer(config{dsn: sink.DSN(), queue: queue})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var sent []string
	m.sent = func(to string) { mu.Lock(); sent = append(sent, to); mu.Unlock() }

	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare(queue, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	_, _ = ch.QueuePurge(queue, false)
	for _, msg := range []amqp.Publishing{
		{Body: []byte("not json")},
		{Body: []byte(`{"email":"nobody"}`)},
		{Body: []byte(`{"email":"ada@example.com"}`), Headers: amqp.Table{"sentry-trace": "zz-not-a-trace", "baggage": "sentry-%%%"}},
		{Body: []byte(`{"email":"grace@example.com"}`)},
	} {
		if err := ch.PublishWithContext(context.Background(), "", queue, false, false, msg); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = m.consume(ctx, url); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(sent)
		mu.Unlock()
		if n >= 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	m.shutdown()
	mu.Lock()
	defer mu.Unlock()
	if len(sent) != 2 || sent[0] != "ada@example.com" || sent[1] != "grace@example.com" {
		t.Fatalf("mailed %v, want ada then grace", sent)
	}
	txs, _ := sink.Transactions()
	rejected := 0
	for _, tx := range txs {
		if tx.Contexts.Trace.Op == "queue.process" && tx.Contexts.Trace.Status != "ok" {
			rejected++
		}
	}
	if rejected != 2 {
		t.Errorf("%d failed queue.process transactions, want the 2 malformed messages", rejected)
	}
}
