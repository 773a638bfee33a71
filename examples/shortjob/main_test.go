package main

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/otelsentry/otelsentry/examples/internal/fakesentry"
)

// TestShortJobDelivers runs the program as a user would and checks that
// its one transaction and its error reached Sentry before it exited.
func TestShortJobDelivers(t *testing.T) {
	sink, err := fakesentry.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	cmd := exec.Command("go", "run", ".")
	cmd.Env = append(os.Environ(), "SENTRY_DSN="+sink.DSN())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	txs, err := sink.WaitTransactions(ctx, 1) // already there: the program has exited
	if err != nil || txs[0].Name != "nightly cleanup" {
		t.Fatalf("transactions %v, %v", txs, err)
	}
	events := 0
	for _, e := range sink.Envelopes() {
		for _, it := range e.Items {
			if it.Header.Type == "event" {
				events++
			}
		}
	}
	if events != 1 {
		t.Errorf("%d error events, want 1", events)
	}
}
