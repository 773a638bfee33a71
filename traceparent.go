package otelsentry

import (
	"errors"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// traceparentHeader is the W3C Trace Context header:
// VERSION-TRACEID-PARENTID-FLAGS.
const traceparentHeader = "traceparent"

// traceparentLen is the length of a version 00 traceparent.
const traceparentLen = 2 + 1 + traceIDHexLen + 1 + spanIDHexLen + 1 + 2

var errTraceparent = errors.New("traceparent: not VERSION-TRACEID-PARENTID-FLAGS")

// traceparent reads the carrier's traceparent header (W3C Trace Context,
// level 1): the trace id, the parent span id and the decision of its
// sampled flag. It reports false for a missing or malformed one, which
// changes nothing.
func (p Propagator) traceparent(carrier propagation.TextMapCarrier) (trace.TraceID, trace.SpanID, decision, bool) {
	h, err := headerValue(carrier, traceparentHeader, maxSentryTraceBytes)
	if err != nil || h == "" {
		return trace.TraceID{}, trace.SpanID{}, 0, false
	}
	tid, sid, dec, err := parseTraceparent(firstListValue(h))
	if err != nil {
		p.stats.refused(err)
		return trace.TraceID{}, trace.SpanID{}, 0, false
	}
	return tid, sid, dec, true
}

// parseTraceparent reads a traceparent value. Version 00 has exactly four
// parts; a later version may add more, which are ignored; version ff is
// invalid. Ids are lowercase hex and not all zero.
func parseTraceparent(v string) (trace.TraceID, trace.SpanID, decision, error) {
	var (
		tid trace.TraceID
		sid trace.SpanID
	)
	if len(v) < traceparentLen || (len(v) > traceparentLen && (v[:2] == "00" || v[traceparentLen] != '-')) {
		return tid, sid, 0, errTraceparent
	}
	var ver, flags [1]byte
	if !decodeHex(ver[:], v[0:2]) || ver[0] == 0xff || v[2] != '-' || v[35] != '-' || v[52] != '-' ||
		!decodeHex(tid[:], v[3:35]) || !decodeHex(sid[:], v[36:52]) || !decodeHex(flags[:], v[53:55]) ||
		!tid.IsValid() || !sid.IsValid() {
		return tid, sid, 0, errTraceparent
	}
	if flags[0]&1 == 1 {
		return tid, sid, decisionSampled, nil
	}
	return tid, sid, decisionNotSampled, nil
}

// formatTraceparent writes a version 00 traceparent of the span context,
// sampled or not as the decision.
func formatTraceparent(tid trace.TraceID, sid trace.SpanID, d decision) string {
	var buf [traceparentLen]byte
	buf[0], buf[1], buf[2] = '0', '0', '-'
	encodeHex(buf[3:35], tid[:])
	buf[35] = '-'
	encodeHex(buf[36:52], sid[:])
	buf[52], buf[53], buf[54] = '-', '0', '0'
	if d == decisionSampled {
		buf[54] = '1'
	}
	return string(buf[:])
}
