package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// dscMember is one member of a Dynamic Sampling Context.
type dscMember struct {
	key, value string
}

// browser is the frontend that starts the trace: a single-page app running
// Sentry's JavaScript SDK in the user's browser. Its page load is a
// transaction of its own, sampled, and every API call it makes carries
// sentry-trace and baggage headers.
type browser struct {
	traceID string // of the page load's trace
	spanID  string // of the span that makes the API call
	dsc     []dscMember
}

// newBrowser returns a browser whose page load started a new trace, with the
// nine-member DSC Sentry's JavaScript SDK builds: the frontend project's key,
// its release and environment, the sample rate and random value (sampled,
// as sample_rand < sample_rate), the page's route and the organization.
func newBrowser() browser {
	traceID, spanID := randomHex(16), randomHex(8)
	return browser{
		traceID: traceID,
		spanID:  spanID,
		dsc: []dscMember{
			{"trace_id", traceID},
			{"public_key", "b3e1b8a4c29d4d1e9a0f6c1d2e3f4a5b"},
			{"release", "web@4.2.0"},
			{"environment", "production"},
			{"transaction", "/account/reset-password"},
			{"sample_rate", "0.25"},
			{"sample_rand", "0.0731"},
			{"sampled", "true"},
			{"org_id", "1234567"},
		},
	}
}

// sentryTrace returns the browser's sentry-trace header: its trace, the
// calling span and "1", sampled.
func (b browser) sentryTrace() string {
	return b.traceID + "-" + b.spanID + "-1"
}

// baggage returns the browser's baggage header: the DSC as sentry- members,
// values percent-encoded.
func (b browser) baggage() string {
	members := make([]string, len(b.dsc))
	for i, m := range b.dsc {
		members[i] = "sentry-" + m.key + "=" + url.QueryEscape(m.value)
	}
	return strings.Join(members, ",")
}

// dscMap returns the DSC as a map, as an envelope's trace header holds it.
func (b browser) dscMap() map[string]string {
	m := make(map[string]string, len(b.dsc))
	for _, d := range b.dsc {
		m[d.key] = d.value
	}
	return m
}

// requestReset posts the reset form to the accounts service at baseURL, as
// the app's fetch does, and returns the response's status code. The browser
// is not an OTel service: its client is a plain one, and its trace travels
// only in the headers.
func (b browser) requestReset(ctx context.Context, baseURL, email string) (int, error) {
	body, err := json.Marshal(map[string]string{"email": email})
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/reset-password", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("sentry-trace", b.sentryTrace())
	req.Header.Set("baggage", b.baggage())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
