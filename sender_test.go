package otelsentry

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// wireServer is a loopback Sentry whose answers a test chooses.
type wireServer struct {
	srv      *httptest.Server
	answer   atomic.Pointer[func(w http.ResponseWriter, r *http.Request, tx bool)]
	onConn   atomic.Pointer[func(net.Conn, http.ConnState)] // told of each connection's states
	received atomic.Int64                                   // transaction envelopes
	reports  atomic.Int64                                   // client report items
	mu       sync.Mutex
	bodies   []string
}

func newWireServer(t *testing.T) *wireServer {
	s := &wireServer{}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		tx := strings.Contains(string(body), `"type":"transaction"`)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		if f := s.answer.Load(); f != nil {
			(*f)(rec, r, tx)
		}
		if rec.status/100 != 2 {
			return // refused: not received
		}
		if tx {
			s.received.Add(1)
		}
		if strings.Contains(string(body), `"type":"client_report"`) {
			s.reports.Add(1)
			s.mu.Lock()
			s.bodies = append(s.bodies, string(body))
			s.mu.Unlock()
		}
	}))
	s.srv.Config.ConnState = func(c net.Conn, st http.ConnState) {
		if f := s.onConn.Load(); f != nil {
			(*f)(c, st)
		}
	}
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	return s
}

// statusRecorder remembers the status an answer wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// reported sums what the client reports received count for a reason and
// category.
func (s *wireServer) reported(reason, category string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, body := range s.bodies {
		env, err := parseEnvelope([]byte(body))
		if err != nil {
			continue
		}
		for _, it := range env.Items {
			if it.Header["type"] != "client_report" {
				continue
			}
			events, _ := it.Payload["discarded_events"].([]any)
			for _, d := range events {
				if lookup(d, "reason") == reason && lookup(d, "category") == category {
					q, _ := lookup(d, "quantity").(float64)
					n += int(q)
				}
			}
		}
	}
	return n
}

// set chooses the answers: tx tells a transaction envelope from a client
// report alone.
func (s *wireServer) set(f func(w http.ResponseWriter, r *http.Request, tx bool)) { s.answer.Store(&f) }

func (s *wireServer) dsn() string {
	return strings.Replace(s.srv.URL, "http://", "http://49d0f7386ad645858ae85020e393bef3@", 1) + "/42"
}

// wireSetup is a TracerProvider whose processor sends to a wireServer.
type wireSetup struct {
	proc   *SpanProcessor
	tracer trace.Tracer
	tp     *sdktrace.TracerProvider
}

func newWireSetup(t *testing.T, dsn string, opts ...Option) *wireSetup {
	t.Helper()
	c, err := sentry.NewClient(sentry.ClientOptions{Dsn: dsn, EnableTracing: true, TracesSampleRate: 1})
	if err != nil {
		t.Fatal(err)
	}
	hub := sentry.NewHub(c, sentry.NewScope())
	proc := NewSpanProcessor(append([]Option{WithHub(hub)}, opts...)...)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(NewSampler(WithHub(hub))), sdktrace.WithSpanProcessor(proc))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = tp.Shutdown(ctx)
	})
	return &wireSetup{proc: proc, tracer: tp.Tracer("t"), tp: tp}
}

// request records one 3-span request and returns how long the request
// goroutine spent in the tracer.
func (s *wireSetup) request() time.Duration {
	start := time.Now()
	ctx, root := s.tracer.Start(context.Background(), "GET /", trace.WithSpanKind(trace.SpanKindServer))
	_, a := s.tracer.Start(ctx, "a")
	a.End()
	_, b := s.tracer.Start(ctx, "b")
	b.End()
	root.End()
	return time.Since(start)
}

// offer sends n requests at rate per second, and returns the longest time
// one of them spent in the tracer.
func (s *wireSetup) offer(n, rate int) time.Duration {
	var longest time.Duration
	tick := time.NewTicker(time.Second / time.Duration(rate) * 10)
	defer tick.Stop()
	for i := 0; i < n; i += 10 {
		for j := 0; j < 10 && i+j < n; j++ {
			longest = max(longest, s.request())
		}
		<-tick.C
	}
	return longest
}

func (s *wireSetup) flush(d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return s.proc.ForceFlush(ctx)
}

// TestDistantSentry delivers 1000 transactions offered at 500 a second to
// a Sentry 50 ms away: at least 99% must arrive within a 10 s ForceFlush.
func TestDistantSentry(t *testing.T) {
	srv := newWireServer(t)
	srv.set(func(w http.ResponseWriter, r *http.Request, _ bool) { time.Sleep(50 * time.Millisecond) })
	s := newWireSetup(t, srv.dsn())
	s.offer(1000, 500)
	if err := s.flush(10 * time.Second); err != nil {
		t.Errorf("ForceFlush: %v", err)
	}
	if got := srv.received.Load(); got < 990 {
		t.Errorf("%d of 1000 transactions arrived; stats %+v", got, s.proc.Stats())
	}
}

// TestRateLimits answers 429 with each way of announcing a limit: nothing
// of the limited category is sent during the window, and sending resumes
// after it.
func TestRateLimits(t *testing.T) {
	tests := []struct {
		name    string
		header  http.Header
		status  int
		limited bool
	}{
		{name: "Retry-After seconds", status: 429, header: http.Header{"Retry-After": {"1"}}, limited: true},
		{name: "Retry-After HTTP date", status: 429, header: http.Header{"Retry-After": {"DATE+2s"}}, limited: true},
		{name: "X-Sentry-Rate-Limits transaction", status: 429, header: http.Header{"X-Sentry-Rate-Limits": {"1:transaction:organization:quota_exceeded"}}, limited: true},
		{name: "X-Sentry-Rate-Limits all categories", status: 429, header: http.Header{"X-Sentry-Rate-Limits": {"1::organization"}}, limited: true},
		{name: "X-Sentry-Rate-Limits on a 200", status: 200, header: http.Header{"X-Sentry-Rate-Limits": {"1:transaction;span:project"}}, limited: true},
		{name: "X-Sentry-Rate-Limits other category", status: 200, header: http.Header{"X-Sentry-Rate-Limits": {"60:error;attachment:project, 60:monitor:org"}}, limited: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newWireServer(t)
			var once atomic.Bool
			srv.set(func(w http.ResponseWriter, r *http.Request, tx bool) {
				if tx && once.CompareAndSwap(false, true) {
					for k, v := range tt.header {
						if v[0] == "DATE+2s" {
							v = []string{time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat)}
						}
						w.Header()[k] = v
					}
					w.WriteHeader(tt.status)
				}
			})
			s := newWireSetup(t, srv.dsn())
			s.request()
			_ = s.flush(5 * time.Second)
			first := srv.received.Load()
			for range 5 {
				s.request()
			}
			_ = s.flush(5 * time.Second)
			during := srv.received.Load() - first
			st := s.proc.Stats()
			if tt.limited && (during != 0 || st.RateLimited < 5) {
				t.Fatalf("%d sent during the window; stats %+v", during, st)
			}
			if !tt.limited && during != 5 {
				t.Fatalf("%d of 5 sent with another category limited", during)
			}
			if !tt.limited {
				return
			}
			deadline := time.Now().Add(4 * time.Second)
			for srv.received.Load() == first && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
				s.request()
				_ = s.flush(time.Second)
			}
			if srv.received.Load() == first {
				t.Fatal("sending did not resume after the window")
			}
			if srv.reports.Load() == 0 {
				t.Error("the drops were not reported to Sentry")
			}
			if n := srv.reported("ratelimit_backoff", "transaction"); n < 5 {
				t.Errorf("client reports count %d transactions dropped while limited", n)
			}
		})
	}
}

// TestSendFailures answers with errors and goes away: each transaction is
// sent once, never retried, counted by reason and reported.
func TestSendFailures(t *testing.T) {
	tests := []struct {
		name   string
		status int
		stat   func(Stats) uint64
	}{
		{name: "500", status: 500, stat: func(s Stats) uint64 { return s.SendErrors }},
		{name: "503", status: 503, stat: func(s Stats) uint64 { return s.SendErrors }},
		{name: "413", status: 413, stat: func(s Stats) uint64 { return s.SendErrors }},
		{name: "400", status: 400, stat: func(s Stats) uint64 { return s.SendErrors }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newWireServer(t)
			var calls atomic.Int64
			srv.set(func(w http.ResponseWriter, r *http.Request, tx bool) {
				if tx && calls.Add(1) <= 20 {
					w.WriteHeader(tt.status)
				}
			})
			s := newWireSetup(t, srv.dsn())
			for range 20 {
				s.request()
			}
			_ = s.flush(5 * time.Second)
			if n := calls.Load(); n != 20 {
				t.Errorf("%d transaction envelopes sent for 20 transactions: retried", n)
			}
			if got := tt.stat(s.proc.Stats()); got != 20 {
				t.Errorf("counted %d of 20; stats %+v", got, s.proc.Stats())
			}
			s.request() // carries the client report
			_ = s.flush(5 * time.Second)
			if n := srv.reported("send_error", "transaction"); n != 20 {
				t.Errorf("client reports count %d of the 20 transactions", n)
			}
			if n := srv.reported("send_error", "span"); n != 60 {
				t.Errorf("client reports count %d of their 60 spans", n)
			}
		})
	}
	t.Run("server down", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close() // nothing listens there now
		s := newWireSetup(t, "http://49d0f7386ad645858ae85020e393bef3@"+addr+"/42")
		for range 50 {
			s.request()
		}
		_ = s.flush(5 * time.Second)
		if st := s.proc.Stats(); st.NetworkErrors != 50 {
			t.Errorf("stats %+v, want 50 network errors", st)
		}
	})
}

// newHangingServer returns a Sentry that never answers until the test ends.
func newHangingServer(t *testing.T) *wireServer {
	srv := newWireServer(t)
	release := make(chan struct{})
	srv.set(func(w http.ResponseWriter, r *http.Request, _ bool) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) })
	return srv
}

// TestHangingSentry: a Sentry that never answers. ForceFlush honours its
// deadline twice in a row, requests never wait, and memory and goroutines
// stay bounded.
func TestHangingSentry(t *testing.T) {
	srv := newHangingServer(t)
	before := runtime.NumGoroutine()
	s := newWireSetup(t, srv.dsn(), WithMaxInFlight(4), WithQueueSize(100))
	longest := s.offer(2000, 2000)
	for i := range 2 {
		start := time.Now()
		err := s.flush(300 * time.Millisecond)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("ForceFlush %d = %v, want the deadline's error", i+1, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("ForceFlush %d took %v", i+1, d)
		}
	}
	if longest > time.Second { // far below a hung request, far above a slow machine
		t.Errorf("a request waited %v in the tracer", longest)
	}
	st := s.proc.Stats()
	if st.QueueDropped == 0 {
		t.Errorf("nothing dropped behind a hanging Sentry: the queue is unbounded? %+v", st)
	}
	// 4 senders, their 4 connections' two goroutines each, the server's
	// side of them, and the worker: not one per transaction.
	if n := runtime.NumGoroutine() - before; n > 40 {
		t.Errorf("%d more goroutines", n)
	}
	if q := s.proc.sender.queuedBytes.Load(); q > DefaultMaxQueuedBytes {
		t.Errorf("%d bytes queued", q)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := s.proc.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v", err)
	}
	if n := s.proc.goroutines.Load(); n != 0 {
		t.Errorf("%d goroutines outlived Shutdown", n)
	}
}

// TestHangingSentryThroughSentryGo: the same for a client whose
// transactions sentry-go sends (BeforeSendTransaction). A flush that timed
// out must not forget the client: the next one waits for it again.
func TestHangingSentryThroughSentryGo(t *testing.T) {
	srv := newHangingServer(t)
	c, err := sentry.NewClient(sentry.ClientOptions{Dsn: srv.dsn(), EnableTracing: true, TracesSampleRate: 1,
		BeforeSendTransaction: func(ev *sentry.Event, _ *sentry.EventHint) *sentry.Event { return ev }})
	if err != nil {
		t.Fatal(err)
	}
	hub := sentry.NewHub(c, sentry.NewScope())
	proc := NewSpanProcessor(WithHub(hub))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(NewSampler(WithHub(hub))), sdktrace.WithSpanProcessor(proc))
	s := &wireSetup{proc: proc, tracer: tp.Tracer("t"), tp: tp}
	for range 5 {
		s.request()
	}
	for i := range 2 {
		start := time.Now()
		if err := s.flush(300 * time.Millisecond); err == nil {
			t.Errorf("ForceFlush %d = nil with every transaction undelivered", i+1)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("ForceFlush %d took %v", i+1, d)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := tp.Shutdown(ctx); err == nil {
		t.Error("Shutdown = nil with every transaction undelivered")
	}
}

// TestMaxQueuedBytes: envelopes past WithMaxQueuedBytes are dropped and
// counted, not queued.
func TestMaxQueuedBytes(t *testing.T) {
	srv := newHangingServer(t)
	s := newWireSetup(t, srv.dsn(), WithMaxInFlight(1), WithMaxQueuedBytes(1))
	for range 20 {
		s.request()
	}
	_ = s.flush(200 * time.Millisecond)
	if st := s.proc.Stats(); st.QueueDropped < 18 {
		t.Errorf("stats %+v: envelopes over 1 byte were queued", st)
	}
}

// TestShutdownClosesConnections: the kept-alive connections of the
// processor's own transport do not outlive Shutdown.
func TestShutdownClosesConnections(t *testing.T) {
	var mu sync.Mutex
	open := map[net.Conn]bool{}
	srv := newWireServer(t)
	track := func(c net.Conn, st http.ConnState) {
		mu.Lock()
		defer mu.Unlock()
		switch st {
		case http.StateNew:
			open[c] = true
		case http.StateClosed, http.StateHijacked:
			delete(open, c)
		}
	}
	srv.onConn.Store(&track)
	s := newWireSetup(t, srv.dsn())
	for range 20 {
		s.request()
	}
	_ = s.flush(5 * time.Second)
	if err := s.tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(open)
		mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	t.Errorf("%d connections still open after Shutdown", len(open))
}

// countingConn counts the writes made on a connection.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// TestEnvelopeInOneWrite checks that the transport this package makes sends
// a typical envelope and its request header in one write: no header flushed
// ahead of the body, and a write buffer the envelope fits in.
func TestEnvelopeInOneWrite(t *testing.T) {
	srv := newWireServer(t)
	c, err := sentry.NewClient(sentry.ClientOptions{Dsn: srv.dsn()})
	if err != nil {
		t.Fatal(err)
	}
	w := newWireClient(c)
	tr, ok := w.rt.(*http.Transport)
	if !ok {
		t.Fatalf("the client's transport is %T, not this package's", w.rt)
	}
	var writes atomic.Int64
	var d net.Dialer
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{Conn: conn, writes: &writes}, nil
	}
	defer w.closeIdleConnections()
	var stats processorStats
	var goroutines atomic.Int32
	s := newSender(1, 8, DefaultMaxQueuedBytes, &stats, &goroutines)
	defer s.stop()
	// A transaction envelope of the size of the benchmarks' 9-span request.
	payload := `{"type":"transaction","pad":"` + strings.Repeat("x", 5600) + `"}`
	body := []byte(`{"event_id":"0123456789abcdef0123456789abcdef"}` + "\n" +
		`{"type":"transaction","length":` + strconv.Itoa(len(payload)) + "}\n" + payload + "\n")
	for i := range 3 {
		before := writes.Load()
		s.enqueue(&outgoing{w: w, body: slices.Clone(body), spans: 1})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := s.pending.wait(ctx, s.pending.barrier())
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if n := writes.Load() - before; n != 1 {
			t.Errorf("envelope %d of %d bytes took %d writes, want 1", i, len(body), n)
		}
	}
	if got := srv.received.Load(); got != 3 {
		t.Errorf("Sentry received %d envelopes, want 3", got)
	}
}

// TestEnvelopeBufferReuse checks that an envelope's buffer goes back to the
// sender for reuse once the transport has written it, and only then: a write
// that failed leaves it to the garbage collector, and a second report does
// not return it twice.
func TestEnvelopeBufferReuse(t *testing.T) {
	var stats processorStats
	var goroutines atomic.Int32
	s := newSender(1, 8, DefaultMaxQueuedBytes, &stats, &goroutines)
	defer s.stop()
	same := func(a, b []byte) bool { return cap(a) > 0 && cap(b) > 0 && &a[:1][0] == &b[:1][0] }

	failed := &written{s: s, buf: make([]byte, 10)}
	failed.wrote(httptrace.WroteRequestInfo{Err: errors.New("connection reset")})
	if b := s.buffer(); same(b, failed.buf) {
		t.Error("a buffer whose write failed came back")
	}
	ok := &written{s: s, buf: make([]byte, 10)}
	ok.wrote(httptrace.WroteRequestInfo{})
	ok.wrote(httptrace.WroteRequestInfo{})
	if b := s.buffer(); !same(b, ok.buf) {
		t.Error("a written buffer did not come back")
	}
	if b := s.buffer(); same(b, ok.buf) {
		t.Error("a buffer written once came back twice")
	}

	// Through the transport: the envelope's buffer comes back after the send.
	srv := newWireServer(t)
	c, err := sentry.NewClient(sentry.ClientOptions{Dsn: srv.dsn()})
	if err != nil {
		t.Fatal(err)
	}
	w := newWireClient(c)
	defer w.closeIdleConnections()
	payload := `{"type":"transaction"}`
	body := []byte(`{"event_id":"0123456789abcdef0123456789abcdef"}` + "\n" +
		`{"type":"transaction","length":` + strconv.Itoa(len(payload)) + "}\n" + payload + "\n")
	s.enqueue(&outgoing{w: w, body: body, spans: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.pending.wait(ctx, s.pending.barrier()); err != nil {
		t.Fatal(err)
	}
	if srv.received.Load() != 1 {
		t.Fatalf("Sentry received %d envelopes, want 1", srv.received.Load())
	}
	if b := s.buffer(); !same(b, body) {
		t.Error("the buffer of a delivered envelope did not come back")
	}
}
