package otelsentry

import (
	"context"
	"fmt"
	"time"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// workerState belongs to the worker goroutine alone.
type workerState struct {
	clients       map[*sentry.Client]struct{} // sent to since the last flush
	resource      *resource.Resource          // the last resource converted
	resourceData  map[string]any
	resourceSize  int // dataSize(resourceData)
	reportedQueue uint64
	reportedOpen  uint64
}

// sweepInterval is how often the worker looks for open spans past the
// timeout and reports drops.
func (p *SpanProcessor) sweepInterval() time.Duration {
	return min(max(p.cfg.openSpanTimeout/4, 10*time.Millisecond), time.Minute)
}

// run is the worker: it sends the transactions of the queue, releases held
// segments at their deadline, expires open spans, and serves flushes.
func (p *SpanProcessor) run() {
	defer close(p.done)
	p.worker.clients = make(map[*sentry.Client]struct{})
	sweepEvery := p.sweepInterval()
	nextSweep := time.Now().Add(sweepEvery)
	timer := time.NewTimer(sweepEvery)
	defer timer.Stop()
	for {
		select {
		case seg := <-p.queue:
			p.send(seg)
			p.drainQueue(64)
		case <-p.wake:
		case <-timer.C:
		case req := <-p.flushes:
			req.done <- p.flush(req.ctx)
		case <-p.quit:
			p.shutdownErr = p.flush(p.shutdownCtx)
			return
		}
		now := time.Now()
		p.table.clock.Store(now.UnixNano())
		ready, next := p.table.due(now, false)
		p.sendAll(ready)
		if !now.Before(nextSweep) {
			p.sendAll(p.table.expire(now, &p.stats))
			p.worker.reportDrops(&p.stats)
			nextSweep = now.Add(sweepEvery)
		}
		wait := nextSweep.Sub(now)
		if !next.IsZero() && next.Sub(now) < wait {
			wait = next.Sub(now)
		}
		timer.Reset(max(wait, time.Millisecond))
	}
}

// drainQueue sends up to n more queued transactions without waiting.
func (p *SpanProcessor) drainQueue(n int) {
	for ; n != 0; n-- {
		select {
		case seg := <-p.queue:
			p.send(seg)
		default:
			return
		}
	}
}

func (p *SpanProcessor) sendAll(segs []*segment) {
	for _, seg := range segs {
		p.send(seg)
	}
}

// flush sends everything finished or held, then flushes the clients sent
// to.
func (p *SpanProcessor) flush(ctx context.Context) error {
	ready, _ := p.table.due(time.Now(), true)
	p.sendAll(ready)
	p.drainQueue(-1)
	p.worker.reportDrops(&p.stats)
	var err error
	for c := range p.worker.clients {
		if !c.FlushWithContext(ctx) && err == nil {
			err = errFlushIncomplete
			if ctx.Err() != nil {
				err = ctx.Err()
			}
		}
	}
	clear(p.worker.clients)
	return err
}

// send turns a segment into a transaction and its exception events into
// error events, and hands them to the segment's client. A segment whose
// root is unsampled (WithUnsampledErrors) sends its root's errors alone.
func (p *SpanProcessor) send(seg *segment) {
	defer func() { seg.root, seg.children, seg.erred = nil, nil, nil }()
	sampled := seg.root.SpanContext().IsSampled()
	info := p.clients.info(seg.hub.Client())
	if info == nil { // no client bound: sentry-go's no-op one
		if sampled {
			p.stats.noClient.Add(1)
		}
		return
	}
	if isSentryUpload(seg.root, info.dsnHost, info.project) {
		return
	}
	client := info.client
	p.worker.clients[client] = struct{}{}

	// An unsampled span's segment has no incoming DSC: the caller's frozen
	// one is not known without tracking unsampled spans from their start.
	dsc := DynamicSamplingContext{}
	if seg.incoming != nil {
		dsc = seg.incoming.dsc
	} else {
		sc := seg.root.SpanContext()
		if seg.root.Parent().IsRemote() {
			// A W3C caller's tracestate is kept by samplers other than
			// NewSampler, but its rate record is not this service's.
			sc = sc.WithTraceState(withoutSentryRate(sc.TraceState()))
		}
		dsc = headDSC(sc, info)
	}
	scope := p.scopeFor(seg, dsc)

	var tx *sentry.Event
	var errs []*sentry.Event
	if sampled {
		tx, errs = p.transactionOf(seg, info)
	} else {
		errs = rootErrors(seg.root)
	}
	if tx != nil && client.CaptureEvent(tx, nil, scope) != nil {
		p.stats.transactions.Add(1)
	}
	for _, ev := range errs {
		if client.CaptureEvent(ev, nil, scope) != nil {
			p.stats.errors.Add(1)
		}
	}
}

// transactionOf builds the transaction of seg and its error events, and
// counts what it leaves out: a transaction ignored for its status code (tx
// is nil), and the spans dropped past MaxSpans or Sentry's size limit.
func (p *SpanProcessor) transactionOf(seg *segment, info *clientInfo) (tx *sentry.Event, errs []*sentry.Event) {
	tx, errs, overBudget := p.buildTransaction(seg, info)
	if tx == nil {
		p.stats.statusIgnored.Add(1)
	} else if dropped := seg.dropped + overBudget; dropped > 0 {
		p.stats.spansDropped.Add(uint64(dropped))
		// Placeholders that the scope's event processor removes again, so
		// that sentry-go records the drop in its client reports.
		for range min(dropped, maxDropPlaceholders) {
			tx.Spans = append(tx.Spans, p.placeholder)
		}
	}
	return tx, errs
}

// rootErrors returns the error events of the exception events of s, an
// unsampled span sent without a transaction. It names its transaction only
// when s is one: a child's is not known.
func rootErrors(s sdktrace.ReadOnlySpan) []*sentry.Event {
	m := mapSpan(s)
	if !isTransactionRoot(s.Parent()) {
		m.name = ""
	}
	return appendExceptions(nil, s, m.op, m.name)
}

// maxDropPlaceholders bounds the placeholders added for one transaction.
const maxDropPlaceholders = 100_000

// scopeFor returns the scope a segment's events are captured with: a copy
// of its hub's scope (tags, user, request), without breadcrumbs or a
// sentry-go span, whose propagation context carries the segment's DSC, so
// that the envelope header is the DSC this service propagates.
func (p *SpanProcessor) scopeFor(seg *segment, dsc DynamicSamplingContext) *sentry.Scope {
	scope := seg.hub.Scope().Clone()
	scope.ClearBreadcrumbs()
	scope.ClearAttachments()
	scope.SetSpan(nil)
	sc := seg.root.SpanContext()
	scope.SetPropagationContext(sentry.PropagationContext{
		TraceID:                sentry.TraceID(sc.TraceID()),
		SpanID:                 sentry.SpanID(sc.SpanID()),
		ParentSpanID:           sentry.SpanID(seg.root.Parent().SpanID()),
		DynamicSamplingContext: dsc.Sentry(),
	})
	scope.AddEventProcessor(p.restoreEvent)
	return scope
}

// stashedTraceKey holds an event's own trace context while sentry-go's scope
// replaces "trace" with the propagation context's; restoreEvent puts it
// back.
const stashedTraceKey = "otelsentry.trace"

// restoreEvent is the scope event processor of the processor's events: it
// restores the trace context and removes the drop placeholders.
func (p *SpanProcessor) restoreEvent(ev *sentry.Event, _ *sentry.EventHint) *sentry.Event {
	if tc, ok := ev.Contexts[stashedTraceKey]; ok {
		ev.Contexts["trace"] = tc
		delete(ev.Contexts, stashedTraceKey)
	}
	for i, s := range ev.Spans {
		if s == p.placeholder {
			ev.Spans = ev.Spans[:i]
			break
		}
	}
	return ev
}

// resourceFor converts the resource and estimates the size of its JSON
// (dataSize), reusing the last conversion: a TracerProvider has one
// resource.
func (w *workerState) resourceFor(r *resource.Resource) (data map[string]any, size int) {
	if r != w.resource || w.resourceData == nil {
		w.resource, w.resourceData = r, resourceData(r)
		w.resourceSize = dataSize(w.resourceData)
	}
	return w.resourceData, w.resourceSize
}

// reportDrops tells OTel's error handler how much was dropped since the
// last report, at most once per sweep.
func (w *workerState) reportDrops(s *processorStats) {
	q, o := s.queueDropped.Load(), s.openDropped.Load()
	if q != w.reportedQueue {
		otel.Handle(fmt.Errorf("otelsentry: %d transactions dropped: the queue to the worker was full", q-w.reportedQueue))
		w.reportedQueue = q
	}
	if o != w.reportedOpen {
		otel.Handle(fmt.Errorf("otelsentry: %d open spans forgotten past the open-span cap or timeout", o-w.reportedOpen))
		w.reportedOpen = o
	}
}
