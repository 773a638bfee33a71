package otelsentry

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// These tests pin parts of the span processor's contract that the
// end-to-end tests of processor_test.go pass through without checking:
// exact times and nesting, the remote-parent rule, the choice of hub, and
// what ForceFlush and the request path wait for.

// TestTransactionKeepsOTelTimesAndNesting checks that a transaction and its
// spans carry the OTel timestamps to the nanosecond, and that a span nested
// two deep keeps its own parent.
func TestTransactionKeepsOTelTimesAndNesting(t *testing.T) {
	e := newE2E(t, sentry.ClientOptions{})
	t0 := time.Date(2026, 11, 22, 1, 2, 3, 123456789, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	ctx, root := e.tracer.Start(context.Background(), "job", trace.WithTimestamp(t0))
	cctx, child := e.tracer.Start(ctx, "step", trace.WithTimestamp(at(1501)))
	_, grand := e.tracer.Start(cctx, "sub-step", trace.WithTimestamp(at(2*time.Microsecond+7)))
	grand.End(trace.WithTimestamp(at(3*time.Millisecond + 11)))
	child.End(trace.WithTimestamp(at(4*time.Millisecond + 13)))
	root.End(trace.WithTimestamp(at(5*time.Second + 17)))
	e.flush(t)

	tx := e.server.waitItems("transaction", 1)[0].Item
	checkTime := func(what string, got any, want time.Time) {
		t.Helper()
		s, _ := got.(string)
		if ts, err := time.Parse(time.RFC3339Nano, s); err != nil || !ts.Equal(want) {
			t.Errorf("%s = %v, want %s", what, got, want.Format(time.RFC3339Nano))
		}
	}
	checkTime("transaction start_timestamp", tx["start_timestamp"], t0)
	checkTime("transaction timestamp", tx["timestamp"], at(5*time.Second+17))
	spans := map[any]any{}
	for _, s := range tx["spans"].([]any) {
		spans[lookup(s, "description")] = s
	}
	want := []struct {
		name       string
		span       trace.Span
		parent     trace.Span
		start, end time.Time
	}{
		{"step", child, root, at(1501), at(4*time.Millisecond + 13)},
		{"sub-step", grand, child, at(2*time.Microsecond + 7), at(3*time.Millisecond + 11)},
	}
	for _, w := range want {
		s, ok := spans[w.name]
		if !ok {
			t.Errorf("no span %q in %v", w.name, tx["spans"])
			continue
		}
		if lookup(s, "span_id") != w.span.SpanContext().SpanID().String() ||
			lookup(s, "parent_span_id") != w.parent.SpanContext().SpanID().String() {
			t.Errorf("%s: span %v parent %v, want %s under %s", w.name, lookup(s, "span_id"), lookup(s, "parent_span_id"),
				w.span.SpanContext().SpanID(), w.parent.SpanContext().SpanID())
		}
		checkTime(w.name+" start_timestamp", lookup(s, "start_timestamp"), w.start)
		checkTime(w.name+" timestamp", lookup(s, "timestamp"), w.end)
	}
}

// TestRemoteParentIsATransaction checks that a span whose parent came
// through a carrier is a transaction of its own, even while that parent is
// an open span of this process: a consumer of a message published here.
func TestRemoteParentIsATransaction(t *testing.T) {
	e := newE2E(t, sentry.ClientOptions{})
	ctx, producer := e.tracer.Start(context.Background(), "publish jobs", trace.WithSpanKind(trace.SpanKindProducer))
	headers := propagation.MapCarrier{}
	e.prop.Inject(ctx, headers)
	_, consumer := e.tracer.Start(e.prop.Extract(context.Background(), headers), "process jobs",
		trace.WithSpanKind(trace.SpanKindConsumer))
	consumer.End() // while the producer is still open
	producer.End()
	e.flush(t)

	for _, tx := range e.server.waitItems("transaction", 2) {
		if spans, _ := tx.Item["spans"].([]any); len(spans) != 0 {
			t.Errorf("%v has spans %v, want none", tx.Item["transaction"], spans)
		}
		if f := lookup(tx.Item, "contexts.trace.data."+dataFollowUp); f != nil {
			t.Errorf("%v is a follow-up transaction", tx.Item["transaction"])
		}
		if tx.Item["transaction"] == "process jobs" &&
			lookup(tx.Item, "contexts.trace.parent_span_id") != producer.SpanContext().SpanID().String() {
			t.Errorf("consumer parent %v, want the producer %s",
				lookup(tx.Item, "contexts.trace.parent_span_id"), producer.SpanContext().SpanID())
		}
	}
}

// TestHubChoice checks the order in which the processor picks a
// transaction's hub: WithHub's, else the hub on the root's parent context,
// else sentry.CurrentHub().
func TestHubChoice(t *testing.T) {
	configured, onContext := newSentryServer(t), newSentryServer(t)
	configuredHub := configured.Hub(sentry.ClientOptions{EnableTracing: true, TracesSampleRate: 1})
	contextHub := onContext.Hub(sentry.ClientOptions{EnableTracing: true, TracesSampleRate: 1})
	parent := sentry.SetHubOnContext(context.Background(), contextHub)
	run := func(t *testing.T, opts ...Option) {
		t.Helper()
		p := NewSpanProcessor(opts...)
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
		_, s := tp.Tracer("t").Start(parent, "GET /orders")
		s.End()
		if err := tp.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	}

	run(t, WithHub(configuredHub))
	configured.waitItems("transaction", 1)
	if n := len(onContext.items("transaction")); n != 0 {
		t.Errorf("WithHub: the context's hub got %d transactions, want WithHub's to win", n)
	}

	run(t)
	onContext.waitItems("transaction", 1)

	current := newSentryServer(t)
	hub := sentry.CurrentHub()
	previous := hub.Client()
	hub.BindClient(current.Hub(sentry.ClientOptions{EnableTracing: true, TracesSampleRate: 1}).Client())
	t.Cleanup(func() { hub.BindClient(previous) })
	parent = context.Background()
	run(t)
	current.waitItems("transaction", 1)
}

// flushCountingTransport is a sentry.Transport that counts events as
// delivered only when it is flushed, which waits until release is closed
// or the flush's context ends.
type flushCountingTransport struct {
	release chan struct{}

	mu                sync.Mutex
	queued, delivered int
}

func (f *flushCountingTransport) Configure(sentry.ClientOptions) {}
func (f *flushCountingTransport) Close()                         {}

func (f *flushCountingTransport) SendEvent(*sentry.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queued++
}

func (f *flushCountingTransport) Flush(d time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return f.FlushWithContext(ctx)
}

func (f *flushCountingTransport) FlushWithContext(ctx context.Context) bool {
	select {
	case <-f.release:
	case <-ctx.Done():
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delivered = f.queued
	return true
}

func (f *flushCountingTransport) counts() (queued, delivered int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queued, f.delivered
}

// TestForceFlushWaitsForTheClient checks that ForceFlush returns only once
// the client has flushed what it was handed, and that it gives up with an
// error at its context's deadline when the client cannot flush.
func TestForceFlushWaitsForTheClient(t *testing.T) {
	released := make(chan struct{})
	close(released)
	for _, c := range []struct {
		name    string
		release chan struct{}
		timeout time.Duration
		wantErr error
	}{
		{"flushed", released, 10 * time.Second, nil},
		{"deadline", make(chan struct{}), 50 * time.Millisecond, context.DeadlineExceeded},
	} {
		t.Run(c.name, func(t *testing.T) {
			transport := &flushCountingTransport{release: c.release}
			p := NewSpanProcessor(WithHub(newTestHub(t, sentry.ClientOptions{Transport: transport, TracesSampleRate: 1})))
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
			_, s := tp.Tracer("t").Start(context.Background(), "job")
			s.End()

			ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
			defer cancel()
			start := time.Now()
			err := p.ForceFlush(ctx)
			if !errors.Is(err, c.wantErr) {
				t.Errorf("ForceFlush = %v, want %v", err, c.wantErr)
			}
			if took := time.Since(start); took > c.timeout+5*time.Second {
				t.Errorf("ForceFlush took %v past a %v deadline", took, c.timeout)
			}
			queued, delivered := transport.counts()
			if c.wantErr == nil && (queued != 1 || delivered != 1) {
				t.Errorf("after ForceFlush: %d queued, %d delivered; want 1 flushed", queued, delivered)
			}
			if c.wantErr != nil && delivered != 0 {
				t.Errorf("the transport delivered %d events it could not flush", delivered)
			}
			if c.wantErr != nil {
				close(transport.release)
			}
			_ = tp.Shutdown(context.Background())
		})
	}
}

// TestForceFlushCanceledFirst checks that ForceFlush with a context already
// done returns its error and hands nothing to sentry-go, not even a
// transaction held for its late children.
func TestForceFlushCanceledFirst(t *testing.T) {
	e := newE2E(t, sentry.ClientOptions{}, WithGracePeriod(time.Hour))
	ctx, root := e.tracer.Start(context.Background(), "job")
	_, late := e.tracer.Start(ctx, "late child")
	root.End() // held for the late child

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for range 30 {
		// Each try gives the worker time to wait for flushes again: a
		// flush let through would then show in one try of two.
		time.Sleep(time.Millisecond)
		if err := e.proc.ForceFlush(canceled); !errors.Is(err, context.Canceled) {
			t.Fatalf("ForceFlush(canceled) = %v, want context.Canceled", err)
		}
	}
	time.Sleep(50 * time.Millisecond)
	if s := e.proc.Stats(); s.Transactions != 0 {
		t.Fatalf("a canceled ForceFlush sent %d transactions", s.Transactions)
	}
	late.End()
	e.flush(t)
	e.server.waitItems("transaction", 1)
}

// blockingTransport is a sentry.Transport whose SendEvent waits until
// release is closed, as a slow network would if it were called in line.
type blockingTransport struct {
	release chan struct{}
}

func (b *blockingTransport) Configure(sentry.ClientOptions)        {}
func (b *blockingTransport) SendEvent(*sentry.Event)               { <-b.release }
func (b *blockingTransport) Flush(time.Duration) bool              { return true }
func (b *blockingTransport) FlushWithContext(context.Context) bool { return true }
func (b *blockingTransport) Close()                                {}

// TestRequestPathDoesNotWaitForSentry checks that spans end while sentry-go
// cannot send at all: OnStart and OnEnd hand transactions on without
// waiting, and drop with a count what the queue cannot hold.
func TestRequestPathDoesNotWaitForSentry(t *testing.T) {
	transport := &blockingTransport{release: make(chan struct{})}
	p := NewSpanProcessor(WithHub(newTestHub(t, sentry.ClientOptions{Transport: transport, TracesSampleRate: 1})),
		WithQueueSize(4))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	const requests = 100
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range requests {
			ctx, root := tp.Tracer("t").Start(context.Background(), "GET /orders")
			_, child := tp.Tracer("t").Start(ctx, "SELECT orders")
			child.End()
			root.End()
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("ending spans waited for sentry-go's transport")
	}
	close(transport.release)
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Transactions+s.QueueDropped != requests || s.QueueDropped == 0 {
		t.Errorf("Stats() = %+v: want all %d transactions sent or counted as dropped, some dropped", s, requests)
	}
}

// TestShutdownLeavesOtherProcessorsRunning checks that processors of one
// process are independent: one shut down, another still sends.
func TestShutdownLeavesOtherProcessorsRunning(t *testing.T) {
	a, b := newE2E(t, sentry.ClientOptions{}), newE2E(t, sentry.ClientOptions{})
	if err := a.tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, s := b.tracer.Start(context.Background(), "b")
	s.End()
	b.flush(t)
	if txs := b.server.waitItems("transaction", 1); txs[0].Item["transaction"] != "b" {
		t.Errorf("got %v, want b", txs[0].Item["transaction"])
	}
	if st := a.proc.Stats(); st.Transactions != 0 {
		t.Errorf("the processor shut down sent %d transactions", st.Transactions)
	}
}
