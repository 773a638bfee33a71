package otelsentry

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
)

// sentryServer is a loopback Sentry ingestion endpoint. It receives the
// envelopes sentry-go's real HTTP transport sends and keeps them parsed.
type sentryServer struct {
	t   testing.TB
	srv *httptest.Server

	mu        sync.Mutex
	envelopes []envelope
	raw       []byte // every body received, as sent
}

// envelope is one parsed Sentry envelope.
type envelope struct {
	Header map[string]any
	Items  []envelopeItem
}

// envelopeItem is one item of an envelope with its payload decoded.
type envelopeItem struct {
	Header  map[string]any
	Payload map[string]any
}

func newSentryServer(t testing.TB) *sentryServer {
	s := &sentryServer{t: t}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.srv.Close)
	return s
}

// DSN returns a DSN that points at the server.
func (s *sentryServer) DSN() string {
	return strings.Replace(s.srv.URL, "http://", "http://49d0f7386ad645858ae85020e393bef3@", 1) + "/42"
}

// Hub returns a hub with a client that sends to the server through
// sentry-go's default HTTP transport.
func (s *sentryServer) Hub(opts sentry.ClientOptions) *sentry.Hub {
	s.t.Helper()
	opts.Dsn = s.DSN()
	c, err := sentry.NewClient(opts)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { c.Flush(2 * time.Second); c.Close() })
	return sentry.NewHub(c, sentry.NewScope())
}

func (s *sentryServer) handle(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.t.Errorf("reading envelope: %v", err)
		return
	}
	if !strings.HasSuffix(r.URL.Path, "/envelope/") {
		s.t.Errorf("unexpected path %s", r.URL.Path)
	}
	env, err := parseEnvelope(body)
	if err != nil {
		s.t.Errorf("parsing envelope: %v\n%s", err, body)
		return
	}
	s.mu.Lock()
	s.envelopes = append(s.envelopes, env)
	s.raw = append(s.raw, body...)
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// parseEnvelope reads Sentry's envelope format: a header line, then items,
// each a header line and a payload of the header's length or up to the next
// newline.
func parseEnvelope(body []byte) (envelope, error) {
	var env envelope
	r := bufio.NewReader(bytes.NewReader(body))
	line, err := r.ReadBytes('\n')
	if err != nil && err != io.EOF {
		return env, err
	}
	if err := json.Unmarshal(line, &env.Header); err != nil {
		return env, err
	}
	for {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) == 0 {
			if err != nil {
				return env, nil
			}
			continue
		}
		var item envelopeItem
		if err := json.Unmarshal(line, &item.Header); err != nil {
			return env, err
		}
		var payload []byte
		if n, ok := item.Header["length"].(float64); ok {
			payload = make([]byte, int(n))
			if _, err := io.ReadFull(r, payload); err != nil {
				return env, err
			}
			_, _ = r.ReadBytes('\n')
		} else {
			payload, _ = r.ReadBytes('\n')
		}
		if err := json.Unmarshal(payload, &item.Payload); err != nil {
			return env, err
		}
		env.Items = append(env.Items, item)
	}
}

// items returns the items of one type (transaction, event, client_report)
// with the header of their envelope.
func (s *sentryServer) items(typ string) []receivedItem {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []receivedItem
	for _, env := range s.envelopes {
		for _, it := range env.Items {
			if it.Header["type"] == typ {
				out = append(out, receivedItem{Envelope: env.Header, Item: it.Payload})
			}
		}
	}
	return out
}

// rawBodies returns every body received, as sent, one after another.
func (s *sentryServer) rawBodies() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.raw)
}

type receivedItem struct {
	Envelope map[string]any
	Item     map[string]any
}

// waitItems waits until n items of a type arrived, and returns them.
func (s *sentryServer) waitItems(typ string, n int) []receivedItem {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		items := s.items(typ)
		if len(items) >= n || time.Now().After(deadline) {
			if len(items) < n {
				s.t.Fatalf("got %d %s items, want %d", len(items), typ, n)
			}
			return items
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
