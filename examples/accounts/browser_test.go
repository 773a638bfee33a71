package main

import (
	"maps"
	"strings"
	"testing"
)

func TestBrowserHeaders(t *testing.T) {
	b := newBrowser()
	if got := b.sentryTrace(); got != b.traceID+"-"+b.spanID+"-1" || len(b.traceID) != 32 || len(b.spanID) != 16 {
		t.Errorf("sentry-trace %q", got)
	}
	if n := len(b.dsc); n != 9 {
		t.Errorf("DSC has %d members, want 9", n)
	}
	// The baggage header decodes back to the DSC: what the envelopes must carry.
	if got := sentryMembers(b.baggage()); !maps.Equal(got, b.dscMap()) {
		t.Errorf("baggage %q decodes to %v, want %v", b.baggage(), got, b.dscMap())
	}
	if !strings.Contains(b.baggage(), "sentry-transaction=%2Faccount%2Freset-password") {
		t.Errorf("baggage %q: values are not percent-encoded as the JavaScript SDK does", b.baggage())
	}
}

func TestSplitSentryTrace(t *testing.T) {
	tests := []struct {
		in, trace, span, sampled string
	}{
		{in: "771a43a4192642f0b136d5159a501700-b7ad6b7169203331-1", trace: "771a43a4192642f0b136d5159a501700", span: "b7ad6b7169203331", sampled: "1"},
		{in: "771a43a4192642f0b136d5159a501700-b7ad6b7169203331", trace: "771a43a4192642f0b136d5159a501700", span: "b7ad6b7169203331"},
		{in: ""},
	}
	for _, tt := range tests {
		tr, sp, sa := splitSentryTrace(tt.in)
		if tr != tt.trace || sp != tt.span || sa != tt.sampled {
			t.Errorf("splitSentryTrace(%q) = %q %q %q", tt.in, tr, sp, sa)
		}
	}
}
