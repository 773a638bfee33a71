package otelsentry

import (
	"fmt"
	"slices"
	"time"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// workerState belongs to the worker goroutine alone.
type workerState struct {
	wires         map[*wireClient]struct{} // the clients sent to directly
	encoder       txEncoder
	scopes        scopeApplier
	views         []childView        // the children of the transaction being encoded
	resource      *resource.Resource // the last resource converted
	resourceData  map[string]any
	resourceSize  int // dataSize(resourceData)
	reportedQueue uint64
	reportedOpen  uint64
}

// batchPause is how long the worker lets finished transactions gather
// before it handles them, as a batch.
const batchPause = time.Millisecond

// sweepInterval is how often the worker looks for open spans past the
// timeout and reports drops.
func (p *SpanProcessor) sweepInterval() time.Duration {
	return min(max(p.cfg.openSpanTimeout/4, 10*time.Millisecond), time.Minute)
}

// run is the worker: it sends the transactions of the queue, releases held
// segments at their deadline, expires open spans, and serves flushes.
func (p *SpanProcessor) run() {
	p.worker.wires = make(map[*wireClient]struct{})
	p.worker.encoder.buffer = p.sender.buffer
	sweepEvery := p.sweepInterval()
	nextSweep := time.Now().Add(sweepEvery)
	timer := time.NewTimer(sweepEvery)
	defer timer.Stop()
	// nextDue is the earliest deadline of a held segment the worker knows
	// of; a segment held later has a later deadline, or wakes the worker
	// when it is the first one held in its shard. So the shards' locks are
	// taken only when something may be due, not per transaction sent.
	var nextDue time.Time
	for {
		woken := false
		select {
		case seg := <-p.queue:
			// Let the transactions of a burst gather first, and handle
			// them together: the request goroutines that end them hand
			// them over without waking anything, and do not share the
			// cores with their encoding while they run.
			time.Sleep(batchPause)
			p.send(seg)
			p.drainQueue(-1)
		case <-p.wake:
			woken = true
		case <-timer.C:
		case req := <-p.flushes:
			req.done <- p.handOver()
		case <-p.quit:
			return
		}
		now := time.Now()
		p.table.clock.Store(now.UnixNano())
		if woken || !nextDue.IsZero() && !now.Before(nextDue) {
			var ready []*segment
			ready, nextDue = p.table.due(now, false)
			p.sendAll(ready)
		}
		next := nextDue
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

// handOver sends everything finished or held, and the client reports of
// what was dropped, and returns the pending epoch of it all for a flush to
// wait for.
func (p *SpanProcessor) handOver() uint64 {
	ready, _ := p.table.due(time.Now(), true)
	p.sendAll(ready)
	p.drainQueue(-1)
	p.worker.reportDrops(&p.stats)
	now := time.Now()
	for w := range p.worker.wires {
		if env := w.clientReportEnvelope(now); env != nil {
			p.sender.enqueue(&outgoing{w: w, body: env})
		}
	}
	return p.sender.pending.barrier()
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

	// An unsampled span's segment has no incoming DSC: the caller's frozen
	// one is not known without tracking unsampled spans from their start.
	d := dscOf(seg)
	var tx *sentry.Event
	var errs []*sentry.Event
	switch {
	case !sampled:
		errs = rootErrors(seg.root)
	case info.wireOf().exact == "":
		errs = p.sendDirect(seg, info, d)
	default:
		tx, errs = p.transactionOf(seg, info)
	}
	if tx == nil && len(errs) == 0 {
		return
	}
	dsc := d.frozen
	if d.head {
		dsc = headDSC(d.sc, info)
	}
	scope := p.scopeFor(seg, dsc)
	p.captured.Store(client, struct{}{})
	if tx != nil && client.CaptureEvent(tx, nil, scope) != nil {
		p.stats.transactions.Add(1)
	}
	for _, ev := range errs {
		if client.CaptureEvent(ev, nil, scope) != nil {
			p.stats.errors.Add(1)
		}
	}
}

// sendDirect encodes the transaction of seg and hands its envelope to the
// senders, with no sentry-go event in between, and returns the error events
// of its exception span events, which go through sentry-go. It applies what
// sentry-go's client and scope would: TraceIgnoreStatusCodes,
// IgnoreTransactions, the scope, MaxSpans and the size limit.
func (p *SpanProcessor) sendDirect(seg *segment, info *clientInfo, dsc envelopeDSC) []*sentry.Event {
	w := info.wireOf()
	p.worker.wires[w] = struct{}{}
	tx, ok, errs := p.encodeDirect(seg, info, dsc, time.Now())
	if ok {
		p.sender.enqueue(&outgoing{w: w, body: tx.envelope, spans: tx.spans})
	}
	return errs
}

// encodeDirect encodes the transaction of seg, unless the client's filters
// leave it out (ok false), and returns the error events of its exception
// span events.
func (p *SpanProcessor) encodeDirect(seg *segment, info *clientInfo, dsc envelopeDSC, now time.Time) (tx encodedTx, ok bool, errs []*sentry.Event) {
	w := info.wireOf()
	var (
		root spanView
		ra   spanAttrs
	)
	root.read(seg.root)
	ra.read(root.attrs)
	m := mapFrom(root.name, root.kind, &ra)
	errs = appendExceptions(errs, seg.root, m.op, m.name)

	// Children mostly end in the order they started: look before sorting.
	byStart := func(a, b sdktrace.ReadOnlySpan) int { return a.StartTime().Compare(b.StartTime()) }
	if !slices.IsSortedFunc(seg.children, byStart) {
		slices.SortStableFunc(seg.children, byStart)
	}
	views := p.worker.views[:0]
	for _, child := range seg.children {
		views = slices.Grow(views, 1)[:len(views)+1]
		c := &views[len(views)-1]
		c.v.read(child)
		c.a.read(c.v.attrs)
		if c.a.isSentryUpload(c.v.kind, info.dsnHost, info.project) {
			views = views[:len(views)-1]
			continue
		}
		if hasException(child) {
			errs = appendExceptions(errs, child, mapFrom(c.v.name, c.v.kind, &c.a).op, m.name)
		}
	}
	for _, child := range seg.erred { // left out past MaxSpans
		a := readSpanAttrs(child.Attributes())
		if !a.isSentryUpload(child.SpanKind(), info.dsnHost, info.project) {
			errs = appendLeftOutErrors(errs, child, &a, m.name)
		}
	}
	defer func() { clear(views); p.worker.views = views[:0] }()

	spans := 1 + len(views) + seg.dropped
	switch {
	case !seg.followUp && info.ignoresStatus(ra.httpStatus):
		p.stats.statusIgnored.Add(1)
		return tx, false, errs
	case w.ignores(m.name):
		p.filtered(w, spans)
		return tx, false, errs
	}
	scope := p.worker.scopes.apply(seg.hub.Scope(), info.client)
	if scope == nil {
		p.filtered(w, spans)
		return tx, false, errs
	}
	// A rate-limited transaction would be dropped by the sender: it is not
	// encoded at all.
	limited := w.limits.limited(true, now)
	if !limited {
		tx = p.worker.encoder.encode(&txInput{
			root: root, rootAttr: &ra, mapping: m, children: views, followUp: seg.followUp,
			resource: seg.root.Resource(), info: info, wire: w, scope: scope, dsc: dsc,
		}, now)
	}
	if dropped := seg.dropped + tx.overBudget; dropped > 0 {
		p.stats.spansDropped.Add(uint64(dropped))
		w.discard(reasonBufferOverflow, categorySpan, uint64(dropped))
	}
	if limited {
		p.sender.drop(&outgoing{w: w, spans: spans - seg.dropped}, reasonRateLimit)
		return tx, false, errs
	}
	return tx, true, errs
}

// envelopeDSC is the DSC of a segment's envelopes: the caller's frozen one,
// or the head DSC of a trace that starts here, which the encoder writes
// from the span context without building it.
type envelopeDSC struct {
	frozen DynamicSamplingContext
	head   bool
	sc     trace.SpanContext // the root's, for a head DSC
}

// dscOf returns the DSC of seg's envelopes.
func dscOf(seg *segment) envelopeDSC {
	if seg.incoming != nil {
		return envelopeDSC{frozen: seg.incoming.dsc}
	}
	sc := seg.root.SpanContext()
	if seg.root.Parent().IsRemote() {
		// A W3C caller's tracestate is kept by samplers other than
		// NewSampler, but its rate record is not this service's.
		sc = sc.WithTraceState(withoutSentryRate(sc.TraceState()))
	}
	return envelopeDSC{head: true, sc: sc}
}

// filtered counts a transaction of spans spans that the client's filters
// left out, as sentry-go reports those of its event processors.
func (p *SpanProcessor) filtered(w *wireClient, spans int) {
	p.stats.filtered.Add(1)
	w.discardTransaction(reasonEventProcessor, spans)
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
