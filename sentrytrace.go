package otelsentry

import (
	"errors"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// sentryTraceHeader is the Sentry trace header: TRACEID-SPANID[-SAMPLED].
const sentryTraceHeader = "sentry-trace"

const (
	traceIDHexLen = 32
	spanIDHexLen  = 16
	// sentryTraceDeferredLen is the length of a header with no sampled flag.
	sentryTraceDeferredLen = traceIDHexLen + 1 + spanIDHexLen
	// sentryTraceFlaggedLen is the length of a header with a sampled flag.
	sentryTraceFlaggedLen = sentryTraceDeferredLen + 2
)

// decision is the sampling decision carried by a sentry-trace header.
type decision uint8

const (
	// decisionDeferred means the sender left the decision to the receiver.
	decisionDeferred decision = iota
	decisionSampled
	decisionNotSampled
)

var (
	errSentryTraceEmpty    = errors.New("sentry-trace: empty")
	errSentryTraceLength   = errors.New("sentry-trace: wrong length")
	errSentryTraceSyntax   = errors.New("sentry-trace: not TRACEID-SPANID[-SAMPLED]")
	errSentryTraceHex      = errors.New("sentry-trace: id is not lowercase hex")
	errSentryTraceFlag     = errors.New("sentry-trace: sampled flag is not 0 or 1")
	errSentryTraceZeroID   = errors.New("sentry-trace: all-zero trace id")
	errSentryTraceZeroSpan = errors.New("sentry-trace: all-zero span id")
)

// parseSentryTrace reads a sentry-trace header value. Spaces and tabs around
// it are ignored, and of comma-joined values the first non-empty one is
// used. Ids must be lowercase hex, as the JavaScript and Python SDKs send and
// accept them.
func parseSentryTrace(v string) (trace.TraceID, trace.SpanID, decision, error) {
	var (
		tid trace.TraceID
		sid trace.SpanID
	)
	v = firstListValue(v)
	switch len(v) {
	case 0:
		return tid, sid, 0, errSentryTraceEmpty
	case sentryTraceDeferredLen, sentryTraceFlaggedLen:
	default:
		return tid, sid, 0, errSentryTraceLength
	}
	if v[traceIDHexLen] != '-' {
		return tid, sid, 0, errSentryTraceSyntax
	}
	if !decodeHex(tid[:], v[:traceIDHexLen]) || !decodeHex(sid[:], v[traceIDHexLen+1:sentryTraceDeferredLen]) {
		return tid, sid, 0, errSentryTraceHex
	}
	d := decisionDeferred
	if len(v) == sentryTraceFlaggedLen {
		if v[sentryTraceDeferredLen] != '-' {
			return tid, sid, 0, errSentryTraceSyntax
		}
		switch v[sentryTraceDeferredLen+1] {
		case '1':
			d = decisionSampled
		case '0':
			d = decisionNotSampled
		default:
			return tid, sid, 0, errSentryTraceFlag
		}
	}
	if !tid.IsValid() {
		return tid, sid, 0, errSentryTraceZeroID
	}
	if !sid.IsValid() {
		return tid, sid, 0, errSentryTraceZeroSpan
	}
	return tid, sid, d, nil
}

// firstListValue returns the first non-empty element of a comma-joined
// header value, without surrounding spaces and tabs.
func firstListValue(v string) string {
	for {
		item, rest, more := strings.Cut(v, ",")
		item = strings.Trim(item, " \t")
		if item != "" || !more {
			return item
		}
		v = rest
	}
}

// formatSentryTrace writes a sentry-trace header value.
func formatSentryTrace(tid trace.TraceID, sid trace.SpanID, d decision) string {
	n := sentryTraceDeferredLen
	if d != decisionDeferred {
		n = sentryTraceFlaggedLen
	}
	var buf [sentryTraceFlaggedLen]byte
	encodeHex(buf[:traceIDHexLen], tid[:])
	buf[traceIDHexLen] = '-'
	encodeHex(buf[traceIDHexLen+1:sentryTraceDeferredLen], sid[:])
	if d != decisionDeferred {
		buf[sentryTraceDeferredLen] = '-'
		buf[sentryTraceDeferredLen+1] = '0'
		if d == decisionSampled {
			buf[sentryTraceDeferredLen+1] = '1'
		}
	}
	return string(buf[:n])
}

const hexDigits = "0123456789abcdef"

func encodeHex(dst, src []byte) {
	for i, b := range src {
		dst[2*i] = hexDigits[b>>4]
		dst[2*i+1] = hexDigits[b&0x0f]
	}
}

// decodeHex decodes lowercase hex of exactly 2*len(dst) digits.
func decodeHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, ok1 := fromHexLower(s[2*i])
		lo, ok2 := fromHexLower(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func fromHexLower(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// errOtherOrg reports a caller of another Sentry organization.
var errOtherOrg = errors.New("sentry-trace: trace of another organization not continued")
