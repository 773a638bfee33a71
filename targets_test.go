package otelsentry

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/getsentry/sentry-go"
)

// recordingTransport records the headers of the requests it is given.
type recordingTransport struct{ got []http.Header }

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.got = append(r.got, req.Header.Clone())
	return &http.Response{StatusCode: 204, Body: http.NoBody, Request: req}, nil
}

func TestTransportTargets(t *testing.T) {
	const bag = "vendor=1,sentry-trace_id=abc,sentry-release=1.0, other=2"
	tests := []struct {
		name    string
		opts    []Option
		client  []string // the client's TracePropagationTargets
		url     string
		keepsIt bool
	}{
		{name: "no targets: every URL", url: "https://anywhere.example/x", keepsIt: true},
		{name: "client target matches", client: []string{"api.example.com"}, url: "https://api.example.com/v1", keepsIt: true},
		{name: "client target does not match", client: []string{"api.example.com"}, url: "https://thirdparty.example/v1", keepsIt: false},
		{name: "option overrides the client", client: []string{"api.example.com"}, opts: []Option{WithTracePropagationTargets("thirdparty.example")},
			url: "https://thirdparty.example/v1", keepsIt: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := newTestHub(t, sentry.ClientOptions{TracePropagationTargets: tt.client})
			rec := &recordingTransport{}
			tr := NewTransport(rec, append([]Option{WithHub(hub)}, tt.opts...)...)
			req := httptest.NewRequest(http.MethodGet, tt.url, nil)
			req.Header.Set("sentry-trace", frontendSentryTrace)
			req.Header.Set("baggage", bag)
			req.Header.Set("traceparent", otherTraceparent)
			if _, err := tr.RoundTrip(req); err != nil {
				t.Fatal(err)
			}
			got := rec.got[0]
			if tt.keepsIt {
				if got.Get("sentry-trace") == "" || got.Get("baggage") != bag {
					t.Errorf("headers %v, want them untouched", got)
				}
				return
			}
			if got.Get("sentry-trace") != "" || got.Get("baggage") != "vendor=1,other=2" || got.Get("traceparent") != otherTraceparent {
				t.Errorf("headers %v, want no sentry-trace, other vendors' members and traceparent kept", got)
			}
			if req.Header.Get("sentry-trace") == "" {
				t.Error("the caller's request was changed")
			}
		})
	}
}
