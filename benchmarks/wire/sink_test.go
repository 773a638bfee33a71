package wire

// The sink: a loopback Sentry and OTLP/HTTP endpoint in a separate process, so
// that receiving, decompressing and parsing are not charged to the paths under
// test. TestMain runs it when BENCH_SINK=1; otherwise the first benchmark that
// delivers starts it by re-executing this test binary, and TestMain kills it
// at exit (it also exits when its stdin, our pipe, closes).

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	sentryotlp "github.com/getsentry/sentry-go/otel/otlp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func TestMain(m *testing.M) {
	if os.Getenv("BENCH_SINK") == "1" {
		serveSink() // never returns
	}
	code := m.Run()
	stopSink()
	os.Exit(code)
}

// ---- the sink process ----

// projectStats is what the sink received for one project (the DSN's project
// id, or the /api/<project>/ part of an OTLP path).
type projectStats struct {
	Envelopes    int64            `json:"envelopes"`
	Items        map[string]int64 `json:"items"`        // by item type
	Transactions int64            `json:"transactions"` // transaction items
	Spans        int64            `json:"spans"`        // 1+len(spans) per transaction, len(items) per span v2 item
	OTLPRequests int64            `json:"otlp_requests"`
	OTLPSpans    int64            `json:"otlp_spans"`
	Bytes        int64            `json:"bytes"`     // request bodies as sent (compressed if they were)
	RawBytes     int64            `json:"raw_bytes"` // the same, decompressed
	Discarded    map[string]int64 `json:"discarded"` // client reports: "category/reason" -> quantity
	Bad          int64            `json:"bad"`       // bodies or items the sink could not read
}

type sinkState struct {
	mu       sync.Mutex
	projects map[string]*projectStats
}

func (s *sinkState) project(p string) *projectStats {
	st := s.projects[p]
	if st == nil {
		st = &projectStats{Items: map[string]int64{}, Discarded: map[string]int64{}}
		s.projects[p] = st
	}
	return st
}

func serveSink() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "sink:", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	go func() { // the parent holds our stdin; when it goes, so do we
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	s := &sinkState{projects: map[string]*projectStats{}}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	err = srv.Serve(ln)
	fmt.Fprintln(os.Stderr, "sink:", err)
	os.Exit(1)
}

func (s *sinkState) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == "/stats" && r.Method == http.MethodGet:
		s.mu.Lock()
		var v any = s.projects
		if p := r.URL.Query().Get("project"); p != "" {
			v = s.project(p)
		}
		b, _ := json.Marshal(v)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
		return
	case path == "/reset" && r.Method == http.MethodPost:
		s.mu.Lock()
		s.projects = map[string]*projectStats{}
		s.mu.Unlock()
		w.WriteHeader(http.StatusOK)
		return
	}
	isEnvelope := strings.HasSuffix(path, "/envelope/") || strings.HasSuffix(path, "/envelope")
	isOTLP := strings.HasSuffix(path, "/v1/traces/") || strings.HasSuffix(path, "/v1/traces")
	if r.Method != http.MethodPost || !isEnvelope && !isOTLP {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// Answer first, then count: the sender waits for no more than the read.
	if isOTLP {
		w.Header().Set("Content-Type", "application/x-protobuf")
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}

	raw, derr := decodeBody(r.Header.Get("Content-Encoding"), body)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.project(projectOf(path))
	st.Bytes += int64(len(body))
	if derr != nil {
		st.Bad++
		return
	}
	st.RawBytes += int64(len(raw))
	if isEnvelope {
		st.Envelopes++
		countEnvelope(st, raw)
		return
	}
	st.OTLPRequests++
	var req coltracepb.ExportTraceServiceRequest
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		err = protojson.Unmarshal(raw, &req)
	} else {
		err = proto.Unmarshal(raw, &req)
	}
	if err != nil {
		st.Bad++
		return
	}
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			st.OTLPSpans += int64(len(ss.Spans))
		}
	}
}

// projectOf reads the project from /[prefix/]api/<project>/...; "-" if none.
func projectOf(path string) string {
	i := strings.LastIndex(path, "/api/")
	if i < 0 {
		return "-"
	}
	p := path[i+len("/api/"):]
	if j := strings.IndexByte(p, '/'); j >= 0 {
		p = p[:j]
	}
	if p == "" {
		return "-"
	}
	return p
}

func decodeBody(encoding string, body []byte) ([]byte, error) {
	var r io.Reader
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "", "identity":
		return body, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		r = zr
	case "deflate": // zlib-wrapped as HTTP says, or raw deflate as some send
		if zr, err := zlib.NewReader(bytes.NewReader(body)); err == nil {
			if out, err := io.ReadAll(zr); err == nil {
				return out, nil
			}
		}
		r = flate.NewReader(bytes.NewReader(body))
	default:
		return nil, fmt.Errorf("unsupported Content-Encoding %q", encoding)
	}
	return io.ReadAll(r)
}

// countEnvelope reads a Sentry envelope: a header line, then item header +
// payload pairs; a payload is "length" bytes when its header says so, else
// runs to the end of the line.
func countEnvelope(st *projectStats, b []byte) {
	_, b = cutLine(b) // envelope header
	for len(b) > 0 {
		var line []byte
		line, b = cutLine(b)
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var h struct {
			Type        string `json:"type"`
			Length      *int   `json:"length"`
			ContentType string `json:"content_type"`
		}
		if err := json.Unmarshal(line, &h); err != nil {
			st.Bad++
			return
		}
		var payload []byte
		if h.Length != nil {
			n := *h.Length
			if n < 0 || n > len(b) {
				st.Bad++
				return
			}
			payload, b = b[:n], b[n:]
			if len(b) > 0 && b[0] == '\n' {
				b = b[1:]
			}
		} else {
			payload, b = cutLine(b)
		}
		st.Items[h.Type]++
		switch h.Type {
		case "transaction":
			var tx struct {
				Spans []struct{} `json:"spans"`
			}
			if err := json.Unmarshal(payload, &tx); err != nil {
				st.Bad++
				continue
			}
			st.Transactions++
			st.Spans += 1 + int64(len(tx.Spans))
		case "span":
			if h.ContentType == "application/vnd.sentry.items.span.v2+json" {
				var sp struct {
					Items []struct{} `json:"items"`
				}
				if err := json.Unmarshal(payload, &sp); err != nil {
					st.Bad++
					continue
				}
				st.Spans += int64(len(sp.Items))
			} else {
				st.Spans++
			}
		case "client_report":
			var cr struct {
				Discarded []struct {
					Reason   string `json:"reason"`
					Category string `json:"category"`
					Quantity int64  `json:"quantity"`
				} `json:"discarded_events"`
			}
			if err := json.Unmarshal(payload, &cr); err != nil {
				st.Bad++
				continue
			}
			for _, d := range cr.Discarded {
				st.Discarded[d.Category+"/"+d.Reason] += d.Quantity
			}
		}
	}
}

func cutLine(b []byte) (line, rest []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}

// ---- the benchmark side ----

var sink struct {
	once  sync.Once
	err   error
	cmd   *exec.Cmd
	stdin io.Closer
	addr  string
	hc    *http.Client
	next  int // the next project id
}

// sinkAddr starts the sink process once and returns its address.
func sinkAddr(tb testing.TB) string {
	sink.once.Do(func() {
		exe, err := os.Executable()
		if err != nil {
			exe = os.Args[0]
		}
		cmd := exec.Command(exe)
		cmd.Env = append(os.Environ(), "BENCH_SINK=1")
		cmd.Stderr = os.Stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			sink.err = err
			return
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			sink.err = err
			return
		}
		if err := cmd.Start(); err != nil {
			sink.err = err
			return
		}
		sink.cmd, sink.stdin = cmd, in
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil {
			sink.err = fmt.Errorf("sink did not start: %v", err)
			return
		}
		sink.addr = strings.TrimSpace(line)
		sink.hc = &http.Client{Transport: &http.Transport{}, Timeout: 5 * time.Second}
	})
	if sink.err != nil {
		tb.Fatal(sink.err)
	}
	return sink.addr
}

func stopSink() {
	if sink.cmd == nil {
		return
	}
	_ = sink.stdin.Close()
	_ = sink.cmd.Process.Kill()
	_ = sink.cmd.Wait()
}

// dest is one benchmark run's project on the sink. Each run gets its own
// project id, so late traffic from an earlier run is never counted.
type dest struct {
	project string
	dsn     string
	flush   []func(time.Duration) bool // sentry clients to flush after the TracerProvider
	close   []func()
}

func newDest(tb testing.TB) *dest {
	addr := sinkAddr(tb)
	resp, err := sink.hc.Post("http://"+addr+"/reset", "", nil)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	sink.next++
	p := fmt.Sprint(sink.next)
	return &dest{project: p, dsn: "http://public@" + addr + "/" + p}
}

func (d *dest) stats(tb testing.TB) projectStats {
	resp, err := sink.hc.Get("http://" + sink.addr + "/stats?project=" + d.project)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var st projectStats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		tb.Fatal(err)
	}
	return st
}

// await polls the sink until want spans arrived, limit passed, or nothing new
// arrived for stall (the senders were flushed before, so nothing more is due).
func (d *dest) await(tb testing.TB, want int64, limit, stall time.Duration) projectStats {
	start := time.Now()
	last, lastChange := int64(-1), start
	for {
		st := d.stats(tb)
		got := st.Spans + st.OTLPSpans
		if got >= want || time.Since(start) > limit {
			return st
		}
		if got != last {
			last, lastChange = got, time.Now()
		} else if time.Since(lastChange) > stall {
			return st
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (d *dest) shutdown() {
	for _, c := range d.close {
		c()
	}
}

// TestSink checks what the sink counts: envelopes as sentry-go's default
// transport sends them, length-prefixed and compressed ones, span v2 items,
// client reports, and OTLP/HTTP protobuf as sentry-go/otel/otlp posts it.
func TestSink(t *testing.T) {
	d := newDest(t)
	c := d.newSentryClient(t)
	defer d.shutdown()
	c.CaptureEvent(&sentry.Event{Type: "transaction", Transaction: "t",
		StartTime: time.Now(), Timestamp: time.Now(), Spans: []*sentry.Span{{}, {}}}, nil, nil)
	c.Flush(5 * time.Second)

	post := func(path, encoding, ctype string, body []byte) {
		t.Helper()
		var buf bytes.Buffer
		switch encoding {
		case "gzip":
			zw := gzip.NewWriter(&buf)
			zw.Write(body)
			zw.Close()
		case "deflate":
			zw := zlib.NewWriter(&buf)
			zw.Write(body)
			zw.Close()
		default:
			buf.Write(body)
		}
		req, _ := http.NewRequest(http.MethodPost, "http://"+sink.addr+path, &buf)
		req.Header.Set("Content-Type", ctype)
		if encoding != "" {
			req.Header.Set("Content-Encoding", encoding)
		}
		resp, err := sink.hc.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: %v %v", path, resp, err)
		}
		resp.Body.Close()
	}
	tx := `{"type":"transaction","spans":[{},{},{}]}`
	spans := `{"items":[{"a":"\n"},{}]}` // a newline inside: only "length" finds the end
	env := "{}\n" +
		fmt.Sprintf(`{"type":"transaction","length":%d}`, len(tx)) + "\n" + tx + "\n" +
		fmt.Sprintf(`{"type":"span","content_type":"application/vnd.sentry.items.span.v2+json","item_count":2,"length":%d}`, len(spans)) + "\n" + spans + "\n" +
		`{"type":"client_report"}` + "\n" + `{"discarded_events":[{"reason":"queue_overflow","category":"transaction","quantity":3}]}` + "\n"
	envPath := "/api/" + d.project + "/envelope/"
	post(envPath, "gzip", "application/x-sentry-envelope", []byte(env))
	post(envPath, "deflate", "application/x-sentry-envelope", []byte(env))

	exp, err := sentryotlp.NewTraceExporter(context.Background(), d.dsn)
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	request(context.Background(), tp.Tracer("test"))
	tp.Shutdown(context.Background())

	want := int64(3 + 2*(4+2) + spansPerRequest)
	st := d.await(t, want, 5*time.Second, time.Second)
	if st.Spans != 3+2*(4+2) || st.OTLPSpans != spansPerRequest || st.Transactions != 3 || st.Envelopes != 3 ||
		st.Items["span"] != 2 || st.Discarded["transaction/queue_overflow"] != 6 || st.Bad != 0 ||
		st.RawBytes < st.Bytes || st.RawBytes < int64(2*len(env)) {
		j, _ := json.Marshal(st)
		t.Fatalf("sink stats: %s", j)
	}
}
