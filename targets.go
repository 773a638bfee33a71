package otelsentry

import (
	"net/http"
	"strings"

	"github.com/getsentry/sentry-go"
)

// Transport is an http.RoundTripper that sends Sentry's trace headers only
// to the URLs its trace propagation targets match, as Sentry's SDKs do
// (sentry-go's httpclient with ClientOptions.TracePropagationTargets,
// tracePropagationTargets in JavaScript). To a URL they do not match, a
// request goes without sentry-trace and without the sentry- members of its
// baggage; other vendors' members and traceparent are kept. Create it with
// NewTransport.
type Transport struct {
	next    http.RoundTripper
	hub     *sentry.Hub
	targets []string
	own     bool // targets were given with WithTracePropagationTargets
	clients *clientCache
}

var _ http.RoundTripper = (*Transport)(nil)

// NewTransport returns a Transport that sends its requests through next
// (http.DefaultTransport when nil). Put it under the transport that injects
// the headers, so that it sees them:
//
//	client := &http.Client{Transport: otelhttp.NewTransport(otelsentry.NewTransport(nil))}
//
// The targets are WithTracePropagationTargets's, else the
// TracePropagationTargets of the client of the hub (WithHub's, else the one
// in the request's context, else sentry.CurrentHub()). A URL matches a
// target that it contains, as in sentry-go. Without targets, every request
// keeps its headers, as in sentry-go. Other options are ignored.
func NewTransport(next http.RoundTripper, opts ...Option) *Transport {
	c := newConfig(opts)
	if next == nil {
		next = http.DefaultTransport
	}
	return &Transport{next: next, hub: c.hub, targets: c.propagationTargets, own: c.hasPropagationTargets, clients: new(clientCache)}
}

// RoundTrip sends req, without Sentry's trace headers when its URL is not a
// target. It does not change req: a request to strip is cloned.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.propagates(req) || !hasSentryHeaders(req.Header) {
		return t.next.RoundTrip(req)
	}
	out := req.Clone(req.Context())
	out.Header.Del(sentryTraceHeader)
	if b := out.Header.Values(baggageHeader); len(b) > 0 {
		kept := withoutSentryMembers(strings.Join(b, ","))
		out.Header.Del(baggageHeader)
		if kept != "" {
			out.Header.Set(baggageHeader, kept)
		}
	}
	return t.next.RoundTrip(out)
}

// propagates reports whether req's URL is a target.
func (t *Transport) propagates(req *http.Request) bool {
	targets := t.targets
	if !t.own {
		if info := t.clients.info(hubFor(req.Context(), t.hub).Client()); info != nil {
			targets = info.propagationTargets
		}
	}
	if len(targets) == 0 {
		return true
	}
	u := req.URL.String()
	for _, target := range targets {
		if strings.Contains(u, target) {
			return true
		}
	}
	return false
}

func hasSentryHeaders(h http.Header) bool {
	if h.Get(sentryTraceHeader) != "" {
		return true
	}
	for _, v := range h.Values(baggageHeader) {
		if strings.Contains(v, sentryPrefix) {
			return true
		}
	}
	return false
}

// withoutSentryMembers returns a baggage header without its sentry-
// members, the others verbatim and in order.
func withoutSentryMembers(header string) string {
	return mergeBaggage(header, DynamicSamplingContext{})
}
