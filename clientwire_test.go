package otelsentry

import (
	"context"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// countingTransport counts the requests it passes on.
type countingTransport struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// deliverOne sends one transaction through a processor whose client has
// opts, and reports whether srv received it.
func deliverOne(t *testing.T, srv *wireServer, opts sentry.ClientOptions) bool {
	t.Helper()
	opts.EnableTracing, opts.TracesSampleRate = true, 1
	c, err := sentry.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	hub := sentry.NewHub(c, sentry.NewScope())
	proc := NewSpanProcessor(WithHub(hub))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(NewSampler(WithHub(hub))), sdktrace.WithSpanProcessor(proc))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	s := &wireSetup{proc: proc, tracer: tp.Tracer("t"), tp: tp}
	before := srv.received.Load()
	s.request()
	_ = s.flush(5 * time.Second)
	return srv.received.Load() > before
}

// TestClientHTTPOptions checks that the envelopes this package sends use
// the client's HTTPClient, HTTPTransport, HTTPProxy and CaCerts, as
// sentry-go's transport does.
func TestClientHTTPOptions(t *testing.T) {
	t.Run("HTTPTransport", func(t *testing.T) {
		srv := newWireServer(t)
		rt := &countingTransport{next: http.DefaultTransport}
		if !deliverOne(t, srv, sentry.ClientOptions{Dsn: srv.dsn(), HTTPTransport: rt}) || rt.n.Load() == 0 {
			t.Errorf("delivered without the client's HTTPTransport (%d requests through it)", rt.n.Load())
		}
	})
	t.Run("HTTPClient", func(t *testing.T) {
		srv := newWireServer(t)
		rt := &countingTransport{next: http.DefaultTransport}
		if !deliverOne(t, srv, sentry.ClientOptions{Dsn: srv.dsn(), HTTPClient: &http.Client{Transport: rt}}) || rt.n.Load() == 0 {
			t.Errorf("delivered without the client's HTTPClient (%d requests through it)", rt.n.Load())
		}
	})
	for _, proxyOpt := range []string{"HTTPProxy", "HTTPSProxy"} {
		t.Run(proxyOpt, func(t *testing.T) {
			srv := newWireServer(t)
			var proxied atomic.Int64
			proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Host == "sentry.invalid" { // a proxy gets the absolute URL
					proxied.Add(1)
				}
				r.URL.Scheme, r.URL.Host, r.RequestURI = "http", strings.TrimPrefix(srv.srv.URL, "http://"), ""
				resp, err := http.DefaultTransport.RoundTrip(r)
				if err != nil {
					w.WriteHeader(http.StatusBadGateway)
					return
				}
				resp.Body.Close()
				w.WriteHeader(resp.StatusCode)
			}))
			defer proxy.Close()
			opts := sentry.ClientOptions{Dsn: "http://49d0f7386ad645858ae85020e393bef3@sentry.invalid/42"}
			if proxyOpt == "HTTPProxy" {
				opts.HTTPProxy = proxy.URL
			} else {
				opts.HTTPSProxy = proxy.URL
			}
			if !deliverOne(t, srv, opts) || proxied.Load() == 0 {
				t.Errorf("not delivered through the proxy (%d proxied)", proxied.Load())
			}
		})
	}
	t.Run("CaCerts", func(t *testing.T) {
		srv := newWireServer(t)
		tlsSrv := httptest.NewTLSServer(srv.srv.Config.Handler)
		defer tlsSrv.Close()
		dsn := strings.Replace(tlsSrv.URL, "https://", "https://49d0f7386ad645858ae85020e393bef3@", 1) + "/42"
		if deliverOne(t, srv, sentry.ClientOptions{Dsn: dsn}) {
			t.Fatal("delivered to a server whose certificate nothing trusts")
		}
		pool := x509.NewCertPool()
		pool.AddCert(tlsSrv.Certificate())
		if !deliverOne(t, srv, sentry.ClientOptions{Dsn: dsn, CaCerts: pool}) {
			t.Error("not delivered with the server's certificate in CaCerts")
		}
	})
}
