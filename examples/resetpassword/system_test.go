package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"

	"github.com/otelsentry/otelsentry/examples/internal/fakesentry"
)

// TestReceiverSendsOn checks that with a real DSN set, what the loopback
// Sentry receives for that project also reaches the real one, accepted
// with the real DSN's key.
func TestReceiverSendsOn(t *testing.T) {
	sink, err := fakesentry.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	real, err := fakesentry.Start() // stands for sentry.io
	if err != nil {
		t.Fatal(err)
	}
	defer real.Close()
	recv, err := newReceiver(sink, real.DSN(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer recv.close()
	dsn := recv.dsn(fakesentry.ProjectID, real.DSN())
	if !strings.Contains(dsn, fakesentry.PublicKey+"@127.0.0.1") {
		t.Fatalf("loopback DSN %s does not carry the real key", dsn)
	}
	c, err := sentry.NewClient(sentry.ClientOptions{Dsn: dsn})
	if err != nil {
		t.Fatal(err)
	}
	c.CaptureMessage("hello", nil, nil)
	c.Flush(5 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for recv.forwarded() == 0 && ctx.Err() == nil { // counted once the real Sentry answered
		time.Sleep(20 * time.Millisecond)
	}
	if len(sink.Envelopes()) != 1 || len(real.Envelopes()) != 1 || recv.forwarded() != 1 {
		t.Errorf("loopback got %d, the real Sentry %d, forwarded %d", len(sink.Envelopes()), len(real.Envelopes()), recv.forwarded())
	}
}
