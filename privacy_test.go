package otelsentry

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// privacyAttrs are what otelhttp v0.72 and similar instrumentation record on
// a client and a server span, secrets and end-user data included.
var privacyAttrs = []attribute.KeyValue{
	attribute.String("http.request.method", "POST"),
	attribute.String("url.full", "https://alice:s3cret@api.example.com/v1/charge?api_key=CLIENT-API-KEY&access_token=CLIENT-TOKEN&page=2#frag"),
	attribute.String("http.url", "https://bob:hunter2@api.example.com/old?token=OLD-TOKEN"),
	attribute.String("url.query", "session=SESSION-ID&q=shoes"),
	attribute.String("http.target", "/v1/charge?password=PW&q=1"),
	attribute.String("db.connection_string", "postgres://app:dbpass@db.example.com:5432/shop?sslmode=disable"),
	attribute.String("user.email", "alice@example.com"),
	attribute.String("user.id", "42"),
	attribute.String("enduser.id", "alice"),
	attribute.String("enduser.pseudo.id", "p-123"),
	attribute.String("client.address", "203.0.113.7"),
	attribute.StringSlice("http.request.header.authorization", []string{"Bearer SECRET-JWT"}),
	attribute.StringSlice("http.request.header.cookie", []string{"sessionid=COOKIE-SESSION; theme=dark"}),
	attribute.StringSlice("http.request.header.x-forwarded-for", []string{"198.51.100.9"}),
	attribute.StringSlice("http.request.header.x-real-ip", []string{"198.51.100.10"}),
	attribute.StringSlice("http.request.header.accept", []string{"application/json"}),
	attribute.StringSlice("http.response.header.set-cookie", []string{"sessionid=NEW-SESSION; Path=/"}),
	attribute.StringSlice("http.response.header.content-type", []string{"application/json"}),
	attribute.String("user_agent.original", "curl/8"),
}

// secrets must never reach Sentry, whatever the client collects: sentry-go
// filters them with its built-in deny list in every mode.
var secrets = []string{"s3cret", "hunter2", "dbpass", "CLIENT-API-KEY", "CLIENT-TOKEN", "OLD-TOKEN",
	"SESSION-ID", "PW", "SECRET-JWT", "COOKIE-SESSION", "NEW-SESSION"}

// TestSpanDataPrivacy sends a server transaction with a client span, both
// carrying privacyAttrs, under each data-collection setting, and checks what
// reaches the loopback Sentry in span data, names and descriptions.
func TestSpanDataPrivacy(t *testing.T) {
	type want map[string]any // data key: value, or nil for absent
	tests := []struct {
		name string
		opts sentry.ClientOptions
		want want
	}{
		{name: "defaults", opts: sentry.ClientOptions{}, want: want{
			"url.full":             "https://api.example.com/v1/charge?access_token=[Filtered]&api_key=[Filtered]&page=2#frag",
			"http.url":             "https://api.example.com/old?token=[Filtered]",
			"url.query":            "q=shoes&session=[Filtered]",
			"http.target":          "/v1/charge?password=[Filtered]&q=1",
			"db.connection_string": "postgres://db.example.com:5432/shop?sslmode=disable",
			"user.email":           nil, "user.id": nil, "enduser.id": nil, "enduser.pseudo.id": nil, "client.address": nil,
			"http.request.header.authorization":   "[Filtered]",
			"http.request.header.cookie":          nil,
			"http.request.header.x-forwarded-for": "[Filtered]",
			"http.request.header.x-real-ip":       "[Filtered]",
			"http.request.header.accept":          []any{"application/json"},
			"http.response.header.set-cookie":     nil,
			"http.response.header.content-type":   []any{"application/json"},
			"user_agent.original":                 "curl/8",
		}},
		{name: "SendDefaultPII", opts: sentry.ClientOptions{SendDefaultPII: true}, want: want{
			"url.full":                            "https://api.example.com/v1/charge?access_token=[Filtered]&api_key=[Filtered]&page=2#frag",
			"user.email":                          "alice@example.com",
			"user.id":                             "42",
			"enduser.pseudo.id":                   "p-123",
			"client.address":                      "203.0.113.7",
			"http.request.header.authorization":   "[Filtered]",
			"http.request.header.cookie":          cookieParts{"sessionid=[Filtered]", "theme=dark"},
			"http.request.header.x-forwarded-for": []any{"198.51.100.9"},
			"http.response.header.set-cookie":     "sessionid=[Filtered]; Path=/",
		}},
		{name: "DataCollection UserInfo only", opts: sentry.ClientOptions{DataCollection: &sentry.DataCollection{UserInfo: sentry.Set(true)}}, want: want{
			"user.email": "alice@example.com", "client.address": "203.0.113.7",
			"http.request.header.authorization": "[Filtered]",
		}},
		{name: "DataCollection off", opts: sentry.ClientOptions{DataCollection: &sentry.DataCollection{
			UserInfo:    sentry.Set(false),
			QueryParams: &sentry.KeyValueCollectionBehavior{Mode: sentry.CollectionOff},
			Cookies:     &sentry.KeyValueCollectionBehavior{Mode: sentry.CollectionOff},
			HTTPHeaders: &sentry.HeaderCollectionConfig{
				Request:  &sentry.KeyValueCollectionBehavior{Mode: sentry.CollectionOff},
				Response: &sentry.KeyValueCollectionBehavior{Mode: sentry.CollectionOff},
			},
		}}, want: want{
			"url.full": "https://api.example.com/v1/charge#frag", "url.query": nil, "http.target": "/v1/charge",
			"user.email": nil, "http.request.header.accept": nil, "http.request.header.authorization": nil,
			"http.request.header.cookie": nil, "http.response.header.content-type": nil,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newE2E(t, tt.opts)
			ctx, root := e.tracer.Start(context.Background(), "POST /v1/charge", trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(append([]attribute.KeyValue{attribute.String("url.path", "/v1/charge")}, privacyAttrs...)...))
			_, client := e.tracer.Start(ctx, "POST", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(privacyAttrs...))
			client.End()
			root.End()
			e.flush(t)
			tx := e.server.waitItems("transaction", 1)[0].Item
			spans, _ := tx["spans"].([]any)
			if len(spans) != 1 {
				t.Fatalf("%d spans", len(spans))
			}
			for where, data := range map[string]any{"transaction": lookup(tx, "contexts.trace.data"), "span": lookup(spans[0], "data")} {
				for k, v := range tt.want {
					got := lookup(data, k)
					if v == nil && got != nil || v != nil && !equalJSON(got, v) {
						t.Errorf("%s data %s = %#v, want %#v", where, k, got, v)
					}
				}
			}
			raw := e.server.rawBodies()
			for _, s := range secrets {
				if strings.Contains(raw, s) {
					t.Errorf("%q reached Sentry", s)
				}
			}
			if d := str(lookup(spans[0], "description")); d != "POST https://api.example.com/v1/charge" {
				t.Errorf("description %q", d)
			}
		})
	}
}

// cookieParts are the parts of a cookie header in any order: sentry-go
// writes them in map order.
type cookieParts []string

func equalJSON(a, b any) bool {
	if parts, ok := b.(cookieParts); ok {
		got, _ := a.(string)
		return len(strings.Split(got, "; ")) == len(parts) && !slices.ContainsFunc(parts, func(p string) bool {
			return !slices.Contains(strings.Split(got, "; "), p)
		})
	}
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok {
		if len(as) != len(bs) {
			return false
		}
		for i := range as {
			if as[i] != bs[i] {
				return false
			}
		}
		return true
	}
	return a == b
}
