package otelsentry

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/getsentry/sentry-go"
)

// sentryGoIntegrations are the names of the integrations sentry-go installs
// by default, sorted as sentry-go lists them. A client whose Integrations
// option is nil has exactly these; their effect on a transaction is what
// wireClient reproduces.
var sentryGoIntegrations = []string{"Environment", "GlobalTags", "IgnoreErrors", "IgnoreTransactions", "Modules"}

// httpTimeout bounds the wait for Sentry's answer, as sentry-go's transport
// bounds a delivery.
const httpTimeout = 30 * time.Second

// writeBufferSize is the write buffer of each HTTP/1.1 connection of this
// package's transport: a typical envelope and its request header fit in it,
// so they go out in one write (one system call, one TLS record) instead of
// two.
const writeBufferSize = 16 << 10

// wireClient is what encoding and sending a client's transactions needs,
// read once per client.
type wireClient struct {
	// exact names what the client configures that only sentry-go's own
	// pipeline can apply (see exactReason); its transactions go through
	// sentry-go. Empty when this package sends them itself.
	exact string

	url     *url.URL    // the DSN's envelope URL
	headers http.Header // Content-Type, X-Sentry-Auth and User-Agent
	// Requests go to rt straight when the transport is this package's,
	// else through the user's client.
	http *http.Client
	rt   http.RoundTripper

	sdkName, sdkVersion string
	// envelopeHead is the envelope header's members after event_id and
	// sent_at: the DSN and the SDK.
	envelopeHead []byte
	// static holds the members of every transaction of the client that do
	// not change: platform, server name, release, dist, environment, SDK
	// and modules, each followed by a comma.
	static []byte
	// deviceOS is the device and os contexts, led by a comma.
	deviceOS []byte
	// runtimeHead is the start of the runtime context, up to the values
	// read per transaction.
	runtimeHead []byte

	tags    map[string]string // ClientOptions.Tags with SENTRY_TAGS_ variables
	ignore  []*regexp.Regexp  // IgnoreTransactions
	reports bool              // client reports are sent

	limits    rateLimits
	discarded discards
}

// exactReason returns what of the client's options only sentry-go's
// pipeline applies, or "" when there is none: a BeforeSendTransaction
// callback, a Transport of the user's, or an Integrations option, which may
// install event processors.
func exactReason(o sentry.ClientOptions) string {
	switch {
	case o.BeforeSendTransaction != nil:
		return "BeforeSendTransaction"
	case o.Transport != nil:
		return "Transport"
	case o.Integrations != nil:
		return "Integrations"
	}
	return ""
}

func newWireClient(c *sentry.Client) *wireClient {
	o := c.Options()
	w := &wireClient{exact: exactReason(o), sdkName: c.GetSDKIdentifier(), sdkVersion: sentry.SDKVersion}
	dsn, err := sentry.NewDsn(o.Dsn)
	if err != nil {
		w.exact = "Dsn"
		return w
	}
	w.url = dsn.GetAPIURL()
	agent := w.sdkName + "/" + w.sdkVersion
	auth := fmt.Sprintf("Sentry sentry_version=7, sentry_client=%s, sentry_key=%s", agent, dsn.GetPublicKey())
	if secret := dsn.GetSecretKey(); secret != "" {
		auth += ", sentry_secret=" + secret
	}
	w.headers = http.Header{
		"Content-Type":  {envelopeContentType},
		"X-Sentry-Auth": {auth},
		"User-Agent":    {agent},
	}
	w.http, w.rt = httpClientFor(o)
	w.reports = !o.DisableClientReports

	sdk := sdkJSON(w.sdkName, w.sdkVersion)
	w.envelopeHead = appendJSONKey(nil, "dsn")
	w.envelopeHead = appendJSONString(w.envelopeHead, dsn.String())
	w.envelopeHead = append(appendJSONKey(append(w.envelopeHead, ','), "sdk"), sdk...)

	server := o.ServerName
	if server == "" {
		server, _ = os.Hostname()
	}
	b := append([]byte(nil), `"platform":"go",`...)
	for _, m := range [][2]string{{"server_name", server}, {"release", o.Release}, {"dist", o.Dist}, {"environment", o.Environment}} {
		if m[1] != "" {
			b = append(appendJSONString(appendJSONKey(b, m[0]), m[1]), ',')
		}
	}
	b = append(append(appendJSONKey(b, "sdk"), sdk...), ',')
	if mods := modules(); len(mods) > 0 {
		b = appendStringMap(appendJSONKey(b, "modules"), mods)
		b = append(b, ',')
	}
	w.static = b

	device, osCtx, rt := staticEnvironment()
	for _, c := range []struct {
		name string
		v    map[string]any
	}{{"device", device}, {"os", osCtx}} {
		j, _ := json.Marshal(c.v)
		w.deviceOS = append(appendJSONKey(append(w.deviceOS, ','), c.name), j...)
	}
	j, _ := json.Marshal(rt)
	// Without its closing brace: the counts read per transaction follow.
	w.runtimeHead = append(appendJSONKey([]byte{','}, "runtime"), j[:len(j)-1]...)

	w.tags = make(map[string]string, len(o.Tags))
	for k, v := range o.Tags {
		w.tags[k] = v
	}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "SENTRY_TAGS_") {
			if _, set := w.tags[k[len("SENTRY_TAGS_"):]]; !set {
				w.tags[k[len("SENTRY_TAGS_"):]] = strings.SplitN(v, "=", 2)[0]
			}
		}
	}
	for _, expr := range o.IgnoreTransactions {
		if r, err := regexp.Compile(expr); err == nil {
			w.ignore = append(w.ignore, r)
		}
	}
	return w
}

// ignores reports whether the client's IgnoreTransactions leaves out the
// transaction name: a pattern that matches it, or that it contains.
func (w *wireClient) ignores(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range w.ignore {
		if r.MatchString(name) || strings.Contains(name, r.String()) {
			return true
		}
	}
	return false
}

// sdkJSON is the SDK interface sentry-go sends with each event.
func sdkJSON(name, version string) []byte {
	b, _ := json.Marshal(map[string]any{
		"name":         name,
		"version":      version,
		"integrations": sentryGoIntegrations,
		"packages":     []map[string]string{{"name": "sentry-go", "version": version}},
	})
	return b
}

// modules returns the program's modules and their versions, as sentry-go's
// Modules integration lists them.
func modules() map[string]string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	m := map[string]string{info.Main.Path: info.Main.Version}
	for _, d := range info.Deps {
		v := d.Version
		if d.Replace != nil {
			v += " => " + d.Replace.Path + " " + d.Replace.Version
		}
		m[d.Path] = strings.TrimSuffix(v, " ")
	}
	return m
}

// appendStringMap appends m as a JSON object, keys sorted.
func appendStringMap(b []byte, m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(appendJSONKey(b, k), m[k])
	}
	return append(b, '}')
}

// httpClientFor returns how the client's options ask envelopes to be sent,
// as sentry-go's transport reads them: HTTPClient as it is; else a client
// over HTTPTransport; else a transport of this package's, used straight,
// with HTTPSProxy or HTTPProxy (else the environment's proxy) and CaCerts.
// Connections are kept alive for the envelopes in flight.
func httpClientFor(o sentry.ClientOptions) (*http.Client, http.RoundTripper) {
	if o.HTTPClient != nil {
		return o.HTTPClient, nil
	}
	if o.HTTPTransport != nil {
		return &http.Client{Transport: o.HTTPTransport}, nil
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = DefaultMaxInFlight
	// A Client.Timeout costs a goroutine and a timer per request; a Sentry
	// that hangs is caught where it hangs, before its answer.
	t.ResponseHeaderTimeout = httpTimeout
	t.WriteBufferSize = writeBufferSize
	t.Proxy = http.ProxyFromEnvironment
	for _, p := range []string{o.HTTPSProxy, o.HTTPProxy} {
		if p == "" {
			continue
		}
		if u, err := url.Parse(p); err == nil {
			t.Proxy = http.ProxyURL(u)
		}
		break
	}
	if o.CaCerts != nil {
		t.TLSClientConfig = &tls.Config{RootCAs: o.CaCerts, MinVersion: tls.VersionTLS12}
	}
	return nil, t
}

// closeIdleConnections closes the kept-alive connections of the transport
// this package made for the client; a transport of the user's is left
// alone.
func (w *wireClient) closeIdleConnections() {
	if t, ok := w.rt.(*http.Transport); ok {
		t.CloseIdleConnections()
	}
}

// roundTrip sends a request as the client's options ask.
func (w *wireClient) roundTrip(req *http.Request) (*http.Response, error) {
	if w.rt != nil {
		return w.rt.RoundTrip(req)
	}
	return w.http.Do(req)
}
