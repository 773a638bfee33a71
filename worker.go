package otelsentry

import (
	"context"
	"fmt"
	"time"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/sdk/resource"
)

// workerState belongs to the worker goroutine alone.
type workerState struct {
	clients       map[*sentry.Client]struct{} // sent to since the last flush
	resource      *resource.Resource          // the last resource converted
	resourceData  map[string]any
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
// error events, and hands them to the segment's client.
func (p *SpanProcessor) send(seg *segment) {
	defer func() { seg.root, seg.children = nil, nil }()
	client := seg.hub.Client()
	if !client.IsEnabled() { // no client bound: sentry-go's no-op one
		if !seg.errorsOnly {
			p.stats.noClient.Add(1)
		}
		return
	}
	info := p.clients.info(client)
	if isSentryUpload(seg.root, info.dsnHost, info.project) {
		return
	}
	p.worker.clients[client] = struct{}{}
	if seg.errorsOnly {
		p.sendErrors(client, seg, info)
		return
	}

	dsc := DynamicSamplingContext{}
	if seg.incoming != nil {
		dsc = seg.incoming.dsc
	} else {
		dsc = headDSC(seg.root.SpanContext(), info)
	}
	scope := p.scopeFor(seg, dsc)

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
	if tx != nil && client.CaptureEvent(tx, nil, scope) != nil {
		p.stats.transactions.Add(1)
	}
	for _, ev := range errs {
		if client.CaptureEvent(ev, nil, scope) != nil {
			p.stats.errors.Add(1)
		}
	}
}

// sendErrors sends the exception events of an unsampled span as error
// events, with this service's DSC for the trace: the caller's frozen one is
// not known without tracking unsampled spans from their start.
func (p *SpanProcessor) sendErrors(client *sentry.Client, seg *segment, info *clientInfo) {
	root := seg.root
	scope := p.scopeFor(seg, headDSC(root.SpanContext(), info))
	a := readSpanAttrs(root.Attributes())
	m := mapFrom(root.Name(), root.SpanKind(), &a)
	transaction := "" // a child's transaction is not known
	if isTransactionRoot(root.Parent()) {
		transaction = m.name
	}
	for _, ev := range appendExceptions(nil, root, m.op, transaction) {
		if client.CaptureEvent(ev, nil, scope) != nil {
			p.stats.errors.Add(1)
		}
	}
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

// resourceFor converts the resource, reusing the last conversion: a
// TracerProvider has one resource.
func (w *workerState) resourceFor(r *resource.Resource) map[string]any {
	if r != w.resource || w.resourceData == nil {
		w.resource, w.resourceData = r, resourceData(r)
	}
	return w.resourceData
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
