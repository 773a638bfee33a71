package otelsentry

import (
	"time"

	"github.com/getsentry/sentry-go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// segment is one Sentry transaction in the making: a root span (no parent,
// a remote parent, or a local parent already sent) and its local
// descendants.
type segment struct {
	rootID   trace.SpanID
	hub      *sentry.Hub
	incoming *incoming // the frozen DSC; nil for a trace that starts here
	maxSpans int
	followUp bool // the root's parent was sent in an earlier transaction

	root     sdktrace.ReadOnlySpan   // set when the root ends
	children []sdktrace.ReadOnlySpan // ended descendants, at most maxSpans
	// dropped counts the ended descendants left out past maxSpans. From
	// the first, children is a max-heap by start time.
	dropped int
	// erred holds the descendants left out past maxSpans that recorded
	// exceptions, at most maxSpans of them, for their error events.
	erred []sdktrace.ReadOnlySpan

	entries []*spanEntry // every span mapped to this segment
	// entriesBuf and rootEntry spare a segment of a typical request the
	// allocations of its entries slice and of its root's entry.
	entriesBuf [segmentSizeHint]*spanEntry
	rootEntry  spanEntry
	open       int       // entries not yet ended
	deadline   time.Time // when a held segment is sent anyway
	state      segmentState
}

// newSegmentOf returns an empty segment for the root rootID, sending
// through hub with the frozen DSC of incoming (nil for a head DSC).
func newSegmentOf(rootID trace.SpanID, hub *sentry.Hub, incoming *incoming, maxSpans int, followUp bool) *segment {
	seg := &segment{rootID: rootID, hub: hub, incoming: incoming, maxSpans: maxSpans, followUp: followUp}
	seg.entries = seg.entriesBuf[:0]
	return seg
}

type segmentState uint8

const (
	segmentCollecting segmentState = iota // root open
	segmentHeld                           // root ended, children open, within the grace period
	segmentDone                           // handed to the queue, or dropped
)

// addChild keeps an ended descendant. Past maxSpans it keeps the earliest
// started ones: children turns into a max-heap by start time, whose top is
// the first to give way.
func (s *segment) addChild(span sdktrace.ReadOnlySpan) {
	if len(s.children) < s.maxSpans {
		if s.children == nil {
			s.children = make([]sdktrace.ReadOnlySpan, 0, min(segmentSizeHint, s.maxSpans))
		}
		s.children = append(s.children, span)
		return
	}
	s.dropped++
	if s.maxSpans == 0 {
		return
	}
	if s.dropped == 1 { // the first drop: make children a heap
		for i := len(s.children)/2 - 1; i >= 0; i-- {
			s.siftDown(i)
		}
	}
	if span.StartTime().Before(s.children[0].StartTime()) {
		span, s.children[0] = s.children[0], span
		s.siftDown(0)
	}
	if len(s.erred) < s.maxSpans && hasException(span) {
		s.erred = append(s.erred, span) // span is the one left out
	}
}

func (s *segment) later(i, j int) bool {
	return s.children[i].StartTime().After(s.children[j].StartTime())
}

func (s *segment) siftDown(i int) {
	n := len(s.children)
	for {
		top, l, r := i, 2*i+1, 2*i+2
		if l < n && s.later(l, top) {
			top = l
		}
		if r < n && s.later(r, top) {
			top = r
		}
		if top == i {
			return
		}
		s.children[i], s.children[top] = s.children[top], s.children[i]
		i = top
	}
}

// spanEntry tracks one span from OnStart until its segment is sent.
type spanEntry struct {
	id, parent trace.SpanID
	seg        *segment
	started    int64  // spanTable.clock when the span started
	seq        uint64 // spanTable.seq: the order of starts
	open       bool
	listed     bool // in its shard's order
	prev, next *spanEntry
}

// entryList is an intrusive list of entries in the order they started.
type entryList struct {
	head, tail *spanEntry
	n          int
}

func (l *entryList) pushBack(e *spanEntry) {
	e.prev, e.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = e
	} else {
		l.head = e
	}
	l.tail = e
	e.listed = true
	l.n++
}

func (l *entryList) remove(e *spanEntry) {
	if !e.listed {
		return
	}
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		l.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		l.tail = e.prev
	}
	e.prev, e.next, e.listed = nil, nil, false
	l.n--
}
