package fakesentry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"sync"
	"time"
)

// Identity of the fake Sentry project. The key is any 32 hex digits: the
// server checks none.
const (
	PublicKey = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	ProjectID = "42"
)

// maxEnvelopeSize bounds the body the server reads. Sentry's own limit for
// a whole envelope is 200 MB compressed; a demo needs far less.
const maxEnvelopeSize = 20 << 20

// envelopePath is where sentry-go's HTTP transport posts envelopes.
var envelopePath = regexp.MustCompile(`^/api/[0-9]+/envelope/$`)

// Server is a loopback Sentry ingestion endpoint. It is safe for concurrent
// use.
type Server struct {
	url string
	srv *http.Server

	// mu guards the fields below. Handlers hold it only to append, and
	// readers only to copy, so it is never held while waiting.
	mu        sync.Mutex
	envelopes []Envelope
	errs      []error
	arrived   chan struct{} // closed and replaced when an envelope arrives
}

// Start starts a Server on a free port of 127.0.0.1. Close it when done.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fakesentry: %w", err)
	}
	s := &Server{url: "http://" + ln.Addr().String(), arrived: make(chan struct{})}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }() // returns http.ErrServerClosed on Close
	return s, nil
}

// DSN returns the DSN that makes sentry-go send to the server:
// http://PUBLICKEY@127.0.0.1:PORT/PROJECT.
func (s *Server) DSN() string {
	return "http://" + PublicKey + "@" + s.url[len("http://"):] + "/" + ProjectID
}

// Close stops the server, waiting up to five seconds for requests in flight.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// ServeHTTP receives one envelope. A request that is not a well-formed
// envelope is answered 400 and recorded in Err.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Browsers post their envelopes from the page's origin.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "POST")
		w.Header().Set("Access-Control-Allow-Headers", "content-type")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.Method != http.MethodPost || !envelopePath.MatchString(r.URL.Path) {
		s.reject(w, fmt.Errorf("fakesentry: unexpected request %s %s", r.Method, r.URL.Path))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEnvelopeSize))
	if err != nil {
		s.reject(w, fmt.Errorf("fakesentry: reading envelope: %w", err))
		return
	}
	env, err := ParseEnvelope(body)
	if err != nil {
		s.reject(w, fmt.Errorf("%w\n%s", err, body))
		return
	}
	s.mu.Lock()
	s.envelopes = append(s.envelopes, env)
	close(s.arrived)
	s.arrived = make(chan struct{})
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (s *Server) reject(w http.ResponseWriter, err error) {
	s.mu.Lock()
	s.errs = append(s.errs, err)
	s.mu.Unlock()
	http.Error(w, err.Error(), http.StatusBadRequest)
}

// Err returns the errors of the requests the server rejected, joined, or nil.
func (s *Server) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.errs...)
}

// Envelopes returns the envelopes received so far, in order of arrival.
func (s *Server) Envelopes() []Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Envelope(nil), s.envelopes...)
}

// Transactions returns the transactions received so far, in order of
// arrival, each with the DSC of its envelope.
func (s *Server) Transactions() ([]Transaction, error) {
	var all []Transaction
	for _, env := range s.Envelopes() {
		txs, err := env.Transactions()
		if err != nil {
			return nil, err
		}
		all = append(all, txs...)
	}
	return all, nil
}

// WaitTransactions waits until at least n transactions have arrived and
// returns them. It returns ctx's error, with what has arrived, if ctx ends
// first.
func (s *Server) WaitTransactions(ctx context.Context, n int) ([]Transaction, error) {
	for {
		s.mu.Lock()
		arrived := s.arrived
		s.mu.Unlock()
		txs, err := s.Transactions()
		if err != nil || len(txs) >= n {
			return txs, err
		}
		select {
		case <-arrived:
		case <-ctx.Done():
			return txs, fmt.Errorf("fakesentry: %d of %d transactions arrived: %w", len(txs), n, ctx.Err())
		}
	}
}
