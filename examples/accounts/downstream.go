package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// propagated is what a downstream service received of the trace: the
// headers the accounts service's otelhttp transport wrote.
type propagated struct {
	SentryTrace string
	Baggage     string
	Traceparent string
}

// downstream is a service the accounts service calls, such as the risk
// scorer or the mailer: a plain HTTP server, not traced, that answers every
// request with the same JSON and keeps the trace headers it received.
type downstream struct {
	status int
	answer any

	// mu guards received; handlers hold it only to append.
	mu       sync.Mutex
	received []propagated
}

// newDownstream returns a service that answers every request with status
// and answer as JSON.
func newDownstream(status int, answer any) *downstream {
	return &downstream{status: status, answer: answer}
}

// ServeHTTP records the request's trace headers and answers it.
func (d *downstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	d.mu.Lock()
	d.received = append(d.received, propagated{
		SentryTrace: r.Header.Get("sentry-trace"),
		Baggage:     r.Header.Get("baggage"),
		Traceparent: r.Header.Get("traceparent"),
	})
	d.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(d.status)
	_ = json.NewEncoder(w).Encode(d.answer)
}

// requests returns the trace headers of the requests received so far.
func (d *downstream) requests() []propagated {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]propagated(nil), d.received...)
}

// loopbackServer is an HTTP server on a free port of 127.0.0.1.
type loopbackServer struct {
	URL string // http://127.0.0.1:PORT
	srv *http.Server
}

// serveLoopback serves h on a free port of 127.0.0.1 until close.
func serveLoopback(h http.Handler) (*loopbackServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &loopbackServer{
		URL: "http://" + ln.Addr().String(),
		srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second},
	}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Printf("serving %s: %v", s.URL, err)
		}
	}()
	return s, nil
}

// close stops the server gracefully: it waits, until ctx ends, for the
// requests in flight, and so for their handlers and middleware to return.
func (s *loopbackServer) close(ctx context.Context) error {
	return s.srv.Shutdown(ctx)
}
