package otelsentry

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// spanTable groups the spans of a processor into segments while they are
// open. It is sharded by trace id, so that requests of different traces
// rarely wait on one another: every span of a trace, and so every span of a
// segment, lives in one shard.
type spanTable struct {
	shards []tableShard
	// tracked counts the spans tracked in all shards, against maxTracked.
	tracked    atomic.Int64
	maxTracked int64
	grace      time.Duration // how long a segment waits for open children
	timeout    time.Duration // how long a span may stay open
	// seq numbers the spans in the order they start, across shards.
	seq atomic.Uint64

	// clock is a coarse clock, Unix nanoseconds, that the worker advances
	// at least once per sweep: what the open-span timeout needs, at a
	// fraction of the cost of reading the time for every span.
	clock atomic.Int64
}

// tableShards is the number of shards: a power of two, well above the
// cores of the machines this runs on.
const tableShards = 64

// tableShard is one shard of a spanTable.
type tableShard struct {
	table *spanTable // for its settings and span count; set once

	// mu guards every field below and every segment and spanEntry reachable
	// from them. It is held for map and list work only, never while calling
	// sentry-go, OTel or a channel operation that can block, so it cannot
	// take part in a deadlock. No code holds two shards' locks.
	mu    sync.Mutex
	spans map[trace.SpanID]*spanEntry
	order entryList  // tracked entries, oldest first
	held  []*segment // segments in their grace period, by deadline

	_ [64]byte // keeps shards' locks off one cache line
}

func (t *spanTable) init(c config) {
	t.shards = make([]tableShard, tableShards)
	for i := range t.shards {
		sh := &t.shards[i]
		sh.spans = make(map[trace.SpanID]*spanEntry)
		sh.table = t
	}
	t.maxTracked = int64(c.maxOpenSpans)
	t.grace = c.gracePeriod
	t.timeout = c.openSpanTimeout
	t.clock.Store(time.Now().UnixNano())
}

// shard returns the shard of the spans of trace tid.
func (t *spanTable) shard(tid trace.TraceID) *tableShard {
	return &t.shards[binary.LittleEndian.Uint64(tid[8:])%tableShards]
}

// expire forgets the open spans older than the timeout, and returns the
// segments that completed by it.
func (t *spanTable) expire(now time.Time, stats *processorStats) []*segment {
	var ready []*segment
	for i := range t.shards {
		ready = append(ready, t.shards[i].expire(now, stats)...)
	}
	return ready
}

// due releases the held segments whose deadline has passed, or all of them
// when all is set, and returns them with the next deadline.
func (t *spanTable) due(now time.Time, all bool) (ready []*segment, next time.Time) {
	for i := range t.shards {
		r, n := t.shards[i].due(now, all)
		ready = append(ready, r...)
		if !n.IsZero() && (next.IsZero() || n.Before(next)) {
			next = n
		}
	}
	return ready, next
}

// track adds a started span to seg. Callers hold mu.
func (t *tableShard) track(e *spanEntry, seg *segment) {
	e.seg = seg
	seg.entries = append(seg.entries, e)
	seg.open++
	t.spans[e.id] = e
	t.order.pushBack(e)
	t.table.tracked.Add(1)
}

// end records an ended span. It returns the segment to send, if the span
// completed one, and whether the worker must be woken for a newly held
// segment.
func (t *tableShard) end(id trace.SpanID, s sdktrace.ReadOnlySpan) (ready *segment, wake bool) {
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
	if seg.open == 0 || t.table.grace == 0 {
		t.release(seg)
		return seg, false
	}
	seg.state = segmentHeld
	seg.deadline = time.Now().Add(t.table.grace)
	t.held = append(t.held, seg)
	return nil, len(t.held) == 1
}

// release closes seg: its ended spans stop being tracked, and its open ones
// move to follow-up segments, one for each open span whose parent is not
// open. Callers hold mu.
func (t *tableShard) release(seg *segment) {
	seg.state = segmentDone
	var open []*spanEntry
	untracked := int64(0)
	for _, e := range seg.entries {
		if e.open {
			open = append(open, e)
			continue
		}
		if t.spans[e.id] == e {
			delete(t.spans, e.id)
		}
		if e.listed {
			untracked++
		}
		t.order.remove(e)
	}
	t.table.tracked.Add(-untracked) // once: the counter is shared by every shard
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
func (t *tableShard) forget(e *spanEntry, stats *processorStats) *segment {
	t.untrack(e)
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

// overCap reports whether the table tracks more spans than its cap.
func (t *spanTable) overCap() bool {
	return t.tracked.Load() > t.maxTracked
}

// evictOldest forgets the oldest tracked span of all shards while the table
// is over its cap, and returns the segments the losses completed. It locks
// one shard at a time.
func (t *spanTable) evictOldest(stats *processorStats) []*segment {
	var ready []*segment
	for t.overCap() {
		var oldest *tableShard
		var seq uint64
		for i := range t.shards {
			sh := &t.shards[i]
			sh.mu.Lock()
			if h := sh.order.head; h != nil && (oldest == nil || h.seq < seq) {
				oldest, seq = sh, h.seq
			}
			sh.mu.Unlock()
		}
		if oldest == nil {
			return ready
		}
		oldest.mu.Lock()
		if h := oldest.order.head; h != nil && t.overCap() {
			if seg := oldest.forget(h, stats); seg != nil {
				ready = append(ready, seg)
			}
		}
		oldest.mu.Unlock()
	}
	return ready
}

// untrack takes e off the order list. Callers hold mu.
func (t *tableShard) untrack(e *spanEntry) {
	if e.listed {
		t.table.tracked.Add(-1)
	}
	t.order.remove(e)
}

// expire forgets the open spans older than the timeout, and returns the
// segments that completed by it.
func (t *tableShard) expire(now time.Time, stats *processorStats) []*segment {
	t.mu.Lock()
	defer t.mu.Unlock()
	var ready []*segment
	cutoff := now.Add(-t.table.timeout).UnixNano()
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
func (t *tableShard) due(now time.Time, all bool) (ready []*segment, next time.Time) {
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
