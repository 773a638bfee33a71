package otelsentry

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of the sender. Each can be changed with the option of the same
// name.
const (
	// DefaultMaxInFlight is how many envelopes a processor sends at once,
	// over as many kept-alive connections. Sentry takes one transaction per
	// request; 32 in flight deliver 640 transactions a second to a Sentry
	// 50 ms away.
	DefaultMaxInFlight = 32
	// DefaultMaxQueuedBytes bounds the encoded envelopes waiting to be
	// sent. Past it envelopes are dropped, counted and reported.
	DefaultMaxQueuedBytes = 64 << 20
)

// Client report reasons (Sentry's develop docs, client reports).
const (
	reasonQueueOverflow   = "queue_overflow"
	reasonRateLimit       = "ratelimit_backoff"
	reasonNetworkError    = "network_error"
	reasonSendError       = "send_error"
	reasonEventProcessor  = "event_processor"
	reasonBufferOverflow  = "buffer_overflow"
	categoryTransaction   = "transaction"
	categorySpan          = "span"
	clientReportItemType  = "client_report"
	envelopeContentType   = "application/x-sentry-envelope"
	defaultRateLimitDelay = 60 * time.Second
)

// outgoing is one envelope on its way.
type outgoing struct {
	w     *wireClient
	body  []byte
	spans int    // transaction envelope: its spans, its own included; 0 for a client report
	epoch uint64 // the pending epoch it counts in
}

// sender delivers the envelopes of a processor: a bounded queue, served by
// up to maxInFlight goroutines over kept-alive connections. It never
// retries: a failed envelope is dropped, counted by reason and reported to
// Sentry in a client report, so a Sentry that is down or slow costs
// bounded memory and no storm of requests.
type sender struct {
	// free holds envelope buffers for reuse: the encoder writes each
	// envelope into one, and it comes back once the transport has written
	// it, or the envelope is dropped. A channel, unlike a sync.Pool, hands
	// a buffer freed on one thread to the worker on another.
	free chan []byte

	queue       chan *outgoing
	queuedBytes atomic.Int64
	maxBytes    int64
	pending     pendingTracker
	stats       *processorStats

	ctx    context.Context // cancelled when the sender stops
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newSender(maxInFlight, queueSize int, maxBytes int64, stats *processorStats, goroutines *atomic.Int32) *sender {
	s := &sender{
		queue:    make(chan *outgoing, queueSize),
		free:     make(chan []byte, maxFreeBuffers),
		maxBytes: maxBytes,
		stats:    stats,
	}
	s.pending.init()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	for range maxInFlight {
		s.wg.Add(1)
		goroutines.Add(1)
		go func() {
			// Counted out before wg, which stop waits for.
			defer s.wg.Done()
			defer goroutines.Add(-1)
			s.run()
		}()
	}
	return s
}

// enqueue hands an envelope to the senders without waiting. A full queue
// drops it, counted and reported. Rate limits are looked at before a
// transaction is encoded (encodeDirect) and again when it is sent.
func (s *sender) enqueue(o *outgoing) {
	n := int64(len(o.body))
	if s.queuedBytes.Add(n) > s.maxBytes {
		s.queuedBytes.Add(-n)
		s.drop(o, reasonQueueOverflow)
		return
	}
	o.epoch = s.pending.add()
	select {
	case s.queue <- o:
	default:
		s.queuedBytes.Add(-n)
		s.pending.done(o.epoch)
		s.drop(o, reasonQueueOverflow)
	}
}

// drop counts an envelope that will not be delivered, in the processor's
// stats and in its client's next client report.
func (s *sender) drop(o *outgoing, reason string) {
	s.release(o.body)
	o.body = nil
	if o.spans == 0 {
		return // a client report: reports of reports are not sent
	}
	s.stats.dropped(reason)
	o.w.discardTransaction(reason, o.spans)
}

// run sends envelopes until the sender stops.
func (s *sender) run() {
	for {
		select {
		case o := <-s.queue:
			s.queuedBytes.Add(-int64(len(o.body)))
			s.send(o)
			s.pending.done(o.epoch)
		case <-s.ctx.Done():
			return
		}
	}
}

// send posts one envelope and records what became of it.
func (s *sender) send(o *outgoing) {
	now := time.Now()
	if o.w.limits.limited(o.spans > 0, now) {
		s.drop(o, reasonRateLimit)
		return
	}
	body, report := o.w.withClientReport(o.body, now)
	if o.spans == 0 && report == nil {
		return // a client report that another envelope took along
	}
	delivered := false
	defer func() {
		if !delivered {
			o.w.restoreReport(report) // goes with a later envelope
		}
	}()
	// The transport may read the body after the answer came: the
	// envelope's buffer is kept for reuse once it has been written.
	ctx := s.ctx
	if len(report) == 0 {
		w := &written{s: s, buf: o.body}
		w.trace.WroteRequest = w.wrote
		ctx = httptrace.WithClientTrace(ctx, &w.trace)
	} else {
		s.release(o.body) // the request sends a copy, with the report
	}
	o.body = nil
	// The URL and the headers are the client's, built once and only read.
	req := (&http.Request{
		Method:     http.MethodPost,
		URL:        o.w.url,
		Host:       o.w.url.Host,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     o.w.headers,
		// A body net/http knows to be in memory goes out with the
		// request header in one write, where another body has the header
		// flushed before it.
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
	}).WithContext(ctx)
	resp, err := o.w.roundTrip(req)
	if err != nil {
		s.drop(o, reasonNetworkError)
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	o.w.limits.update(resp, time.Now())
	switch {
	case resp.StatusCode/100 == 2:
		delivered = true
		if o.spans > 0 {
			s.stats.transactions.Add(1)
		}
	case resp.StatusCode == http.StatusTooManyRequests:
		s.drop(o, reasonRateLimit)
	default:
		s.drop(o, reasonSendError)
	}
}

// written returns an envelope's buffer to the sender for reuse when the
// transport reports the request written whole. A request that failed to be
// written keeps its buffer: the transport could still hold it, and the
// garbage collector takes it.
type written struct {
	s     *sender
	buf   []byte
	once  atomic.Bool
	trace httptrace.ClientTrace
}

func (w *written) wrote(info httptrace.WroteRequestInfo) {
	if info.Err == nil && w.once.CompareAndSwap(false, true) {
		w.s.release(w.buf)
	}
}

// Envelope buffers kept for reuse: at most maxFreeBuffers, of at most
// maxFreeBuffer bytes each.
const (
	maxFreeBuffers = 16
	maxFreeBuffer  = 64 << 10
)

// release returns an envelope buffer for reuse, unless enough are kept.
func (s *sender) release(buf []byte) {
	if buf == nil || cap(buf) > maxFreeBuffer {
		return
	}
	select {
	case s.free <- buf[:0]:
	default:
	}
}

// buffer returns an empty envelope buffer kept for reuse, or nil.
func (s *sender) buffer() []byte {
	select {
	case b := <-s.free:
		return b
	default:
		return nil
	}
}

// stop cancels what is in flight and waits for the senders to return.
// Envelopes still queued are dropped and counted.
func (s *sender) stop() {
	s.cancel()
	s.wg.Wait()
	for {
		select {
		case o := <-s.queue:
			s.queuedBytes.Add(-int64(len(o.body)))
			s.drop(o, reasonQueueOverflow)
			s.pending.done(o.epoch)
		default:
			return
		}
	}
}

// pendingTracker counts the envelopes not yet delivered or dropped, by
// epoch, so that a flush can wait for those accepted before it and no
// others.
type pendingTracker struct {
	mu      sync.Mutex
	epoch   uint64
	counts  map[uint64]int
	changed chan struct{} // closed, and replaced, when an epoch empties
}

func (t *pendingTracker) init() {
	t.counts = make(map[uint64]int)
	t.changed = make(chan struct{})
}

func (t *pendingTracker) add() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.counts[t.epoch]++
	return t.epoch
}

func (t *pendingTracker) done(e uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts[e]--; t.counts[e] <= 0 {
		delete(t.counts, e)
		close(t.changed)
		t.changed = make(chan struct{})
	}
}

// barrier closes the current epoch and returns it: wait(e) then waits for
// everything added before.
func (t *pendingTracker) barrier() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.epoch
	t.epoch++
	return e
}

// wait waits until every envelope of epoch e or earlier is delivered or
// dropped, or ctx ends.
func (t *pendingTracker) wait(ctx context.Context, e uint64) error {
	for {
		t.mu.Lock()
		busy := false
		for k := range t.counts {
			if k <= e {
				busy = true
				break
			}
		}
		ch := t.changed
		t.mu.Unlock()
		if !busy {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// rateLimits holds a client's rate limits: until when each category may not
// be sent (Sentry's develop docs, rate limiting).
type rateLimits struct {
	all, transaction, span atomic.Int64 // Unix nanoseconds
}

// limited reports whether an envelope may not be sent at now: a
// transaction envelope while transactions, spans or everything are
// limited; a client report never.
func (r *rateLimits) limited(transaction bool, now time.Time) bool {
	if !transaction {
		return false
	}
	t := now.UnixNano()
	return t < r.all.Load() || t < r.transaction.Load() || t < r.span.Load()
}

// update applies the limits a response announces: X-Sentry-Rate-Limits,
// else for a 429 Retry-After (seconds or an HTTP date), else 60 seconds
// for everything.
func (r *rateLimits) update(resp *http.Response, now time.Time) {
	if h := resp.Header.Get("X-Sentry-Rate-Limits"); h != "" {
		r.applyHeader(h, now)
		return
	}
	if resp.StatusCode != http.StatusTooManyRequests {
		return
	}
	r.extend(&r.all, now.Add(retryAfter(resp.Header.Get("Retry-After"), now)))
}

// applyHeader reads X-Sentry-Rate-Limits: comma-separated
// retry_after:categories:scope[:reason[:namespaces]], categories
// separated by semicolons, none meaning all.
func (r *rateLimits) applyHeader(h string, now time.Time) {
	for len(h) > 0 {
		var limit string
		limit, h, _ = strings.Cut(h, ",")
		secs, rest, _ := strings.Cut(trimOWS(limit), ":")
		n, err := strconv.ParseFloat(secs, 64)
		if err != nil || n < 0 {
			continue
		}
		until := now.Add(time.Duration(min(n, 86400) * float64(time.Second)))
		cats, _, _ := strings.Cut(rest, ":")
		if cats == "" {
			r.extend(&r.all, until)
			continue
		}
		for len(cats) > 0 {
			var c string
			c, cats, _ = strings.Cut(cats, ";")
			switch c {
			case categoryTransaction:
				r.extend(&r.transaction, until)
			case categorySpan:
				r.extend(&r.span, until)
			}
		}
	}
}

// extend moves a limit to until, never earlier.
func (r *rateLimits) extend(v *atomic.Int64, until time.Time) {
	t := until.UnixNano()
	for {
		cur := v.Load()
		if cur >= t || v.CompareAndSwap(cur, t) {
			return
		}
	}
}

// retryAfter reads a Retry-After value: seconds, or an HTTP date; 60
// seconds when it is missing or malformed.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return defaultRateLimitDelay
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 0 {
		return time.Duration(min(n, 86400) * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return defaultRateLimitDelay
}

// discardKey is one line of a client report.
type discardKey struct{ reason, category string }

// discards counts what a client dropped since its last client report.
type discards struct {
	mu     sync.Mutex
	counts map[discardKey]uint64
}

// discard counts n events of a category dropped for reason, for the
// client's next client report.
func (w *wireClient) discard(reason, category string, n uint64) {
	if !w.reports || n == 0 {
		return
	}
	w.discarded.mu.Lock()
	defer w.discarded.mu.Unlock()
	if w.discarded.counts == nil {
		w.discarded.counts = make(map[discardKey]uint64)
	}
	w.discarded.counts[discardKey{reason, category}] += n
}

// discardTransaction counts a transaction of spans spans, its own
// included, dropped for reason.
func (w *wireClient) discardTransaction(reason string, spans int) {
	w.discard(reason, categoryTransaction, 1)
	w.discard(reason, categorySpan, uint64(spans))
}

// takeClientReport returns the client report item of what was discarded
// since the last one, and forgets it; nil when nothing was. The counts are
// returned for restoreReport.
func (w *wireClient) takeClientReport(now time.Time) ([]byte, map[discardKey]uint64) {
	w.discarded.mu.Lock()
	counts := w.discarded.counts
	w.discarded.counts = nil
	w.discarded.mu.Unlock()
	if len(counts) == 0 {
		return nil, nil
	}
	p := []byte(`{"timestamp":`)
	p = appendJSONTime(p, now)
	p = append(p, `,"discarded_events":[`...)
	first := true
	for k, n := range counts {
		if !first {
			p = append(p, ',')
		}
		first = false
		p = append(p, `{"reason":`...)
		p = appendJSONString(p, k.reason)
		p = append(p, `,"category":`...)
		p = appendJSONString(p, k.category)
		p = append(p, `,"quantity":`...)
		p = strconv.AppendUint(p, n, 10)
		p = append(p, '}')
	}
	p = append(p, "]}"...)
	item := []byte(`{"type":"` + clientReportItemType + `","length":`)
	item = strconv.AppendInt(item, int64(len(p)), 10)
	item = append(item, "}\n"...)
	item = append(item, p...)
	return append(item, '\n'), counts
}

// restoreReport counts again what a client report that was not delivered
// held.
func (w *wireClient) restoreReport(counts map[discardKey]uint64) {
	for k, n := range counts {
		w.discard(k.reason, k.category, n)
	}
}

// withClientReport returns the envelope body with the client's pending
// client report added as an item, and the counts it holds.
func (w *wireClient) withClientReport(body []byte, now time.Time) ([]byte, map[discardKey]uint64) {
	item, counts := w.takeClientReport(now)
	if item == nil {
		return body, nil
	}
	return append(body[:len(body):len(body)], item...), counts
}

// clientReportEnvelope returns the header of an envelope for the client's
// pending client report, or nil when nothing was discarded. The report
// itself is taken when the envelope is sent (withClientReport), so that it
// holds what was discarded until then.
func (w *wireClient) clientReportEnvelope(now time.Time) []byte {
	w.discarded.mu.Lock()
	pending := len(w.discarded.counts) > 0
	w.discarded.mu.Unlock()
	if !pending {
		return nil
	}
	env := []byte(`{"sent_at":`)
	env = appendJSONTime(env, now)
	env = append(env, ',')
	env = append(env, w.envelopeHead...)
	return append(env, "}\n"...)
}
