package otelsentry

import (
	"sync"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// spanTable groups the spans of a processor into segments while they are
// open.
type spanTable struct {
	// mu guards every field below and every segment and spanEntry reachable
	// from them. It is held for map and list work only, never while calling
	// sentry-go, OTel or a channel operation that can block, so it cannot
	// take part in a deadlock.
	mu    sync.Mutex
	spans map[trace.SpanID]*spanEntry
	order entryList  // tracked entries, oldest first
	held  []*segment // segments in their grace period, by deadline

	grace      time.Duration
	maxTracked int
	timeout    time.Duration

	// clock is a coarse clock, Unix nanoseconds, that the worker advances
	// at least once per sweep: what the open-span timeout needs, at a
	// fraction of the cost of reading the time for every span.
	clock atomic.Int64
}

func (t *spanTable) init(c config) {
	t.spans = make(map[trace.SpanID]*spanEntry)
	t.grace = c.gracePeriod
	t.maxTracked = c.maxOpenSpans
	t.timeout = c.openSpanTimeout
	t.clock.Store(time.Now().UnixNano())
}

// track adds a started span to seg. Callers hold mu.
func (t *spanTable) track(e *spanEntry, seg *segment) {
	e.seg = seg
	seg.entries = append(seg.entries, e)
	seg.open++
	t.spans[e.id] = e
	t.order.pushBack(e)
}

// end records an ended span. It returns the segment to send, if the span
// completed one, and whether the worker must be woken for a newly held
// segment.
func (t *spanTable) end(id trace.SpanID, s sdktrace.ReadOnlySpan) (ready *segment, wake bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.spans[id]
	if e == nil || !e.open {
		return nil, false // started before the processor, or forgotten
	}
	e.open = false
	seg := e.seg
	seg.open--
	if id != seg.rootID {
		seg.addChild(s)
		if seg.state == segmentHeld && seg.open == 0 {
			t.release(seg)
			return seg, false
		}
		return nil, false
	}
	seg.root = s
	if seg.open == 0 || t.grace == 0 {
		t.release(seg)
		return seg, false
	}
	seg.state = segmentHeld
	seg.deadline = time.Now().Add(t.grace)
	t.held = append(t.held, seg)
	return nil, len(t.held) == 1
}

// release closes seg: its ended spans stop being tracked, and its open ones
// move to follow-up segments, one for each open span whose parent is not
// open. Callers hold mu.
func (t *spanTable) release(seg *segment) {
	seg.state = segmentDone
	var open []*spanEntry
	for _, e := range seg.entries {
		if e.open {
			open = append(open, e)
			continue
		}
		if t.spans[e.id] == e {
			delete(t.spans, e.id)
		}
		t.order.remove(e)
	}
	seg.entries = nil
	if len(open) == 0 {
		return
	}
	// Find every open span's top open ancestor first, then move them: the
	// walk must see the segment as it was.
	tops := make([]*spanEntry, len(open))
	for i, e := range open {
		top := e
		for {
			pe := t.spans[top.parent]
			if pe == nil || pe.seg != seg || !pe.open {
				break
			}
			top = pe
		}
		tops[i] = top
	}
	followUps := make(map[trace.SpanID]*segment)
	for i, e := range open {
		f := followUps[tops[i].id]
		if f == nil {
			f = newSegmentOf(tops[i].id, seg.hub, seg.incoming, seg.maxSpans, true)
			followUps[tops[i].id] = f
		}
		e.seg = f
		f.entries = append(f.entries, e)
		f.open++
	}
}

// forget stops tracking e, the oldest entry, past the cap or the timeout. An
// open span counts as dropped; a forgotten open root drops its segment.
// It returns a segment that the loss completed. Callers hold mu.
func (t *spanTable) forget(e *spanEntry, stats *processorStats) *segment {
	t.order.remove(e)
	if t.spans[e.id] == e {
		delete(t.spans, e.id)
	}
	if !e.open {
		return nil
	}
	e.open = false
	stats.openDropped.Add(1)
	seg := e.seg
	seg.open--
	if e.id == seg.rootID {
		stats.spansDropped.Add(uint64(len(seg.children) + seg.dropped))
		seg.children, seg.erred = nil, nil
		t.release(seg)
		return nil
	}
	if seg.state == segmentHeld && seg.open == 0 {
		t.release(seg)
		return seg
	}
	return nil
}

// evictOverCap forgets the oldest entry when more than maxTracked are
// tracked, and returns a segment that the loss completed. Called after each
// track, which adds one entry, so one eviction is enough. Callers hold mu.
func (t *spanTable) evictOverCap(stats *processorStats) *segment {
	if t.order.n > t.maxTracked {
		return t.forget(t.order.head, stats)
	}
	return nil
}

// expire forgets the open spans older than the timeout, and returns the
// segments that completed by it.
func (t *spanTable) expire(now time.Time, stats *processorStats) []*segment {
	t.mu.Lock()
	defer t.mu.Unlock()
	var ready []*segment
	cutoff := now.Add(-t.timeout).UnixNano()
	for e := t.order.head; e != nil && e.started < cutoff; {
		next := e.next
		if e.open {
			if seg := t.forget(e, stats); seg != nil {
				ready = append(ready, seg)
			}
		}
		e = next
	}
	return ready
}

// due releases the held segments whose deadline has passed, or all of them
// when all is set, and returns them with the next deadline.
func (t *spanTable) due(now time.Time, all bool) (ready []*segment, next time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	i := 0
	for ; i < len(t.held); i++ {
		seg := t.held[i]
		if seg.state != segmentHeld {
			continue // sent when its last child ended
		}
		if !all && seg.deadline.After(now) {
			next = seg.deadline
			break
		}
		t.release(seg)
		ready = append(ready, seg)
	}
	t.held = t.held[i:]
	if len(t.held) == 0 {
		t.held = nil
	}
	return ready, next
}
