package otelsentry

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// errUnsampledMismatch reports a sampler that records unsampled spans
// (WithUnsampledErrors) for a processor that was not told to send their
// errors: the recording costs and nothing is sent.
var errUnsampledMismatch = errors.New("otelsentry: the sampler records unsampled spans (WithUnsampledErrors) " +
	"but the span processor was not given WithUnsampledErrors, so their errors are not sent; " +
	"give the option to both, or use otelsentry.NewTracerProvider")

// errFlushIncomplete reports a sentry-go client that did not deliver every
// event before the deadline.
var errFlushIncomplete = errors.New("otelsentry: sentry-go client did not flush before the deadline")

// SpanProcessor turns the sampled spans of a TracerProvider into Sentry
// transactions and sends them to the DSN of the sentry-go client. Create it
// with NewSpanProcessor.
//
// A span with no parent, or with a remote parent, is a transaction; its local
// descendants are its spans. When the root ends, the transaction waits up to
// the grace period for children still open; those that end later, and spans
// started under a parent already sent, become follow-up transactions of the
// same trace with their parent id kept. Exceptions recorded on spans become
// Sentry error events linked to their span.
//
// OnStart and OnEnd only update an in-memory table, sharded by trace, under
// a short lock. One background worker, fed by a bounded queue, maps and
// encodes finished transactions straight into Sentry envelopes, and up to
// WithMaxInFlight senders post them over kept-alive connections, honouring
// Sentry's rate limits and reporting what they drop. A client whose options
// only sentry-go's pipeline can apply (BeforeSendTransaction, a Transport of
// its own, Integrations) has its transactions captured with sentry-go
// instead, and error events always go through sentry-go. Memory held for
// spans that never end is bounded by WithMaxOpenSpans and
// WithOpenSpanTimeout.
type SpanProcessor struct {
	cfg     config
	clients *clientCache

	table spanTable

	queue   chan *segment
	wake    chan struct{}      // a segment was held while none was
	flushes chan *flushRequest // ForceFlush calls for the worker
	quit    chan struct{}      // closed by Shutdown
	done    chan struct{}      // closed when the worker has returned

	stopped atomic.Bool // set once, by the first Shutdown

	resolverClient atomic.Pointer[sentry.Client] // last client given the trace resolver
	placeholder    *sentry.Span                  // stands for spans dropped past MaxSpans

	stats processorStats

	sender *sender
	// captured holds the clients that sentry-go sent events for since
	// they were last flushed: their error events, and the transactions
	// only sentry-go's pipeline can apply a client's options to. A flush
	// that times out leaves them for the next one.
	captured sync.Map // *sentry.Client -> struct{}

	// toldUnsampled is set once errUnsampledMismatch was reported.
	toldUnsampled atomic.Bool

	// goroutines counts the goroutines this processor started that have
	// not returned; Shutdown leaves none.
	goroutines atomic.Int32

	// Owned by the worker goroutine.
	worker workerState
}

var _ sdktrace.SpanProcessor = (*SpanProcessor)(nil)

// flushRequest asks the worker to hand over everything finished; it answers
// with the pending epoch the flush then waits for.
type flushRequest struct {
	done chan uint64
}

// Stats counts what a SpanProcessor has sent and what it had to drop. Every
// transaction dropped is also reported to Sentry in a client report, with
// its spans, as Sentry's SDKs report theirs.
type Stats struct {
	// Transactions is the number of transactions Sentry accepted (a 2xx
	// answer), and of those handed to sentry-go for a client whose options
	// only sentry-go applies (see the README).
	Transactions uint64
	// Errors is the number of error events made from exception span events.
	Errors uint64
	// QueueDropped is the number of transactions dropped because the queue
	// to the worker, or the envelopes waiting to be sent (WithQueueSize,
	// WithMaxQueuedBytes), were full, or were still waiting at Shutdown.
	// With WithUnsampledErrors it also counts the unsampled spans whose
	// errors were dropped so.
	QueueDropped uint64
	// RateLimited is the number of transactions dropped while Sentry's rate
	// limits (a 429, Retry-After, X-Sentry-Rate-Limits) held.
	RateLimited uint64
	// NetworkErrors is the number of transactions dropped because their
	// request failed: no connection, a timeout, Shutdown's deadline.
	NetworkErrors uint64
	// SendErrors is the number of transactions Sentry refused with an error
	// status other than 429 (413 for a payload too large, another 4xx, a
	// 5xx). They are not sent again.
	SendErrors uint64
	// Filtered is the number of transactions left out by the client's
	// IgnoreTransactions, or by an event processor of the hub's scope.
	Filtered uint64
	// SpansDropped is the number of ended spans left out of transactions
	// past the client's MaxSpans or Sentry's 1 MB limit; they are also
	// reported to Sentry in client reports.
	SpansDropped uint64
	// OpenSpansDropped is the number of open spans forgotten past
	// WithMaxOpenSpans or WithOpenSpanTimeout.
	OpenSpansDropped uint64
	// NoClient is the number of transactions dropped because their hub had
	// no client bound (sentry-go's no-op client, as before sentry.Init).
	NoClient uint64
	// StatusIgnored is the number of transactions not sent because their
	// HTTP status code is in the client's TraceIgnoreStatusCodes (by
	// sentry-go's default, 404). Their recorded errors are still sent.
	StatusIgnored uint64
}

type processorStats struct {
	transactions, errors, queueDropped, spansDropped, openDropped, noClient, statusIgnored atomic.Uint64
	filtered, rateLimited, networkErrors, sendErrors                                       atomic.Uint64
}

// dropped counts a transaction the sender dropped for a client report
// reason.
func (s *processorStats) dropped(reason string) {
	switch reason {
	case reasonQueueOverflow:
		s.queueDropped.Add(1)
	case reasonRateLimit:
		s.rateLimited.Add(1)
	case reasonNetworkError:
		s.networkErrors.Add(1)
	default:
		s.sendErrors.Add(1)
	}
}

// NewSpanProcessor returns a span processor that sends the spans of a
// TracerProvider to Sentry as transactions. The hub of a transaction is
// WithHub's, else the one in the root span's parent context, else
// sentry.CurrentHub(). Register it with sdktrace.WithSpanProcessor, not with
// a batcher: it batches spans into transactions itself.
//
// It registers a trace resolver on the client, so that errors captured with
// sentry-go while an OTel span is active (EventHint.Context, or the request
// of the scope) carry that span's trace and span ids.
//
// Options: WithHub, WithGracePeriod, WithMaxOpenSpans, WithOpenSpanTimeout,
// WithQueueSize and WithUnsampledErrors.
func NewSpanProcessor(opts ...Option) *SpanProcessor {
	p := &SpanProcessor{
		cfg:         newConfig(opts),
		clients:     new(clientCache),
		wake:        make(chan struct{}, 1),
		flushes:     make(chan *flushRequest),
		quit:        make(chan struct{}),
		done:        make(chan struct{}),
		placeholder: &sentry.Span{},
	}
	p.queue = make(chan *segment, p.cfg.queueSize)
	p.table.init(p.cfg)
	p.sender = newSender(p.cfg.maxInFlight, p.cfg.queueSize, p.cfg.maxQueuedBytes, &p.stats, &p.goroutines)
	if info := p.clients.info(p.defaultHub().Client()); info != nil {
		p.registerResolver(info.client)
	}
	p.goroutines.Add(1)
	go func() {
		// Counted out before done is closed, so that Shutdown, which
		// waits for done, finds the count at zero.
		defer close(p.done)
		defer p.goroutines.Add(-1)
		p.run()
	}()
	return p
}

// NewSentrySpanProcessor returns NewSpanProcessor().
//
// Deprecated: NewSentrySpanProcessor eases the move from
// github.com/getsentry/sentry-go/otel. Use NewSpanProcessor.
func NewSentrySpanProcessor() sdktrace.SpanProcessor {
	return NewSpanProcessor()
}

// Stats returns the processor's counters.
func (p *SpanProcessor) Stats() Stats {
	return Stats{
		Transactions:     p.stats.transactions.Load(),
		Errors:           p.stats.errors.Load(),
		QueueDropped:     p.stats.queueDropped.Load(),
		SpansDropped:     p.stats.spansDropped.Load(),
		OpenSpansDropped: p.stats.openDropped.Load(),
		NoClient:         p.stats.noClient.Load(),
		StatusIgnored:    p.stats.statusIgnored.Load(),
		RateLimited:      p.stats.rateLimited.Load(),
		NetworkErrors:    p.stats.networkErrors.Load(),
		SendErrors:       p.stats.sendErrors.Load(),
		Filtered:         p.stats.filtered.Load(),
	}
}

// OnStart starts tracking a sampled span. It does no I/O and does not block.
func (p *SpanProcessor) OnStart(parent context.Context, s sdktrace.ReadWriteSpan) {
	sc := s.SpanContext()
	if !sc.IsSampled() || p.stopped.Load() {
		return
	}
	psc := s.Parent()
	var (
		seg *segment
		e   *spanEntry
	)
	if isTransactionRoot(psc) {
		seg = p.newSegment(parent, sc, false)
		e = &seg.rootEntry
	} else {
		e = new(spanEntry)
	}
	*e = spanEntry{id: sc.SpanID(), parent: psc.SpanID(), open: true, started: p.table.clock.Load(), seq: p.table.seq.Add(1)}

	t := p.table.shard(sc.TraceID())
	t.mu.Lock()
	if seg == nil {
		if pe := t.spans[psc.SpanID()]; pe != nil {
			seg = pe.seg
		}
	}
	if seg == nil {
		// The parent was sent already, or never seen: a follow-up
		// transaction. Its set-up reads the context, so leave the lock.
		t.mu.Unlock()
		seg = p.newSegment(parent, sc, true)
		t.mu.Lock()
	}
	t.track(e, seg)
	t.mu.Unlock()
	if p.table.overCap() {
		for _, ready := range p.table.evictOldest(&p.stats) {
			p.enqueue(ready)
		}
	}
}

// isTransactionRoot reports whether a span with parent psc starts a Sentry
// transaction: it has no parent or a remote one.
func isTransactionRoot(psc trace.SpanContext) bool {
	return !psc.IsValid() || psc.IsRemote()
}

// OnEnd adds an ended span to its transaction, and hands the transaction to
// the worker when its root and every child have ended. It does no I/O and
// does not block.
func (p *SpanProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	if p.stopped.Load() {
		return
	}
	sc := s.SpanContext()
	if !sc.IsSampled() {
		if p.cfg.unsampledErrors {
			p.unsampledEnded(s)
		} else if !p.toldUnsampled.Load() && p.toldUnsampled.CompareAndSwap(false, true) {
			otel.Handle(errUnsampledMismatch)
		}
		return
	}
	ready, wake := p.table.shard(sc.TraceID()).end(sc.SpanID(), s)
	p.enqueue(ready)
	if wake {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
}

// unsampledEnded hands an unsampled span that recorded exceptions to the
// worker, which sends them as error events (WithUnsampledErrors): a segment
// whose root is unsampled.
func (p *SpanProcessor) unsampledEnded(s sdktrace.ReadOnlySpan) {
	if !hasException(s) {
		return
	}
	seg := newSegmentOf(s.SpanContext().SpanID(), p.defaultHub(), nil, 0, false)
	seg.root = s
	p.enqueue(seg)
}

// defaultHub is the hub of spans whose context is not known: WithHub's,
// else sentry.CurrentHub().
func (p *SpanProcessor) defaultHub() *sentry.Hub {
	if p.cfg.hub != nil {
		return p.cfg.hub
	}
	return sentry.CurrentHub()
}

// newSegment sets up the transaction of a root span: its hub, its frozen
// DSC if the trace came in, and the client's span cap.
func (p *SpanProcessor) newSegment(parent context.Context, sc trace.SpanContext, followUp bool) *segment {
	hub := hubFor(parent, p.cfg.hub)
	maxSpans := defaultMaxSpans
	if info := p.clients.info(hub.Client()); info != nil {
		maxSpans = info.maxSpans
		p.registerResolver(info.client)
	}
	return newSegmentOf(sc.SpanID(), hub, incomingForTrace(parent, sc.TraceID()), maxSpans, followUp)
}

// segmentSizeHint is the number of spans a segment makes room for at once,
// about what one request records.
const segmentSizeHint = 16

// defaultMaxSpans is sentry-go's default ClientOptions.MaxSpans, used when a
// hub has no client yet.
const defaultMaxSpans = 1000

// registerResolver installs on c, an enabled client, the resolver that
// links errors captured with an OTel context to the active span.
func (p *SpanProcessor) registerResolver(c *sentry.Client) {
	if p.resolverClient.Load() == c {
		return
	}
	c.SetExternalContextTraceResolver(resolveTrace)
	p.resolverClient.Store(c)
}

// resolveTrace returns the ids of the span in ctx for sentry-go.
func resolveTrace(ctx context.Context) (sentry.TraceID, sentry.SpanID, bool) {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return sentry.TraceID{}, sentry.SpanID{}, false
	}
	return sentry.TraceID(sc.TraceID()), sentry.SpanID(sc.SpanID()), true
}

// enqueue hands a finished transaction to the worker, or drops and counts it
// when the queue is full.
func (p *SpanProcessor) enqueue(seg *segment) {
	if seg == nil {
		return
	}
	select {
	case p.queue <- seg:
	default:
		p.stats.queueDropped.Add(1)
	}
}

// ForceFlush hands every finished transaction over, including those
// waiting for late children, and waits until each one accepted before the
// call is delivered or dropped, and sentry-go has sent the events it was
// given. The worker goes on mapping and sending meanwhile. It returns ctx's
// error if ctx ends first: what was not delivered by then stays pending,
// and the next ForceFlush or Shutdown waits for it again. It returns nil
// after Shutdown.
func (p *SpanProcessor) ForceFlush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p.stopped.Load() {
		return nil
	}
	return p.flush(ctx)
}

func (p *SpanProcessor) flush(ctx context.Context) error {
	req := &flushRequest{done: make(chan uint64, 1)}
	select {
	case p.flushes <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-p.done:
		return nil
	}
	var epoch uint64
	select {
	case epoch = <-req.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	err := p.sender.pending.wait(ctx, epoch)
	for c := range p.captured.Range {
		client := c.(*sentry.Client)
		if client.FlushWithContext(ctx) {
			p.captured.CompareAndDelete(client, struct{}{})
		} else if err == nil {
			err = errFlushIncomplete
			if ctx.Err() != nil {
				err = ctx.Err()
			}
		}
	}
	return err
}

// Shutdown flushes as ForceFlush does, then stops the worker and the
// senders: what is still in flight is cancelled, and every goroutine the
// processor started has returned. Spans that end afterwards are ignored.
// Only the first call does anything; it returns ctx's error if ctx ends
// before everything was delivered.
func (p *SpanProcessor) Shutdown(ctx context.Context) error {
	if !p.stopped.CompareAndSwap(false, true) {
		return nil
	}
	err := ctx.Err()
	if err == nil {
		err = p.flush(ctx)
	}
	close(p.quit)
	<-p.done
	p.sender.stop()
	// The kept-alive connections of the transports this processor made
	// have goroutines of their own: none outlives Shutdown. The worker has
	// returned, so its set of clients is the processor's to read.
	for w := range p.worker.wires {
		w.closeIdleConnections()
	}
	return err
}
