package otelsentry

import (
	"errors"
	"fmt"
	"sync/atomic"

	"go.opentelemetry.io/otel"
)

// PropagatorStats counts the incoming headers a Propagator refused. The
// headers come from anyone, so each kind of refusal is also reported once,
// the first time, through otel.Handle, and only counted after that.
type PropagatorStats struct {
	// HeadersTooLarge counts sentry-trace, baggage and tracestate headers
	// over their size limits (512, 8192 and 8192 bytes), refused whole
	// before any parsing.
	HeadersTooLarge uint64
	// MalformedSentryTrace counts sentry-trace headers that are not
	// TRACEID-SPANID[-SAMPLED], and traceparent headers that are not W3C
	// Trace Context. They change nothing.
	MalformedSentryTrace uint64
	// MalformedBaggage counts baggage headers of which at least one
	// sentry- member was skipped: malformed, a sample rate or sample_rand
	// that is not a plain decimal number in range, or past the 64 members or
	// 8192 bytes kept.
	MalformedBaggage uint64
	// OtherOrganization counts traces not continued because the caller's
	// org_id differs from the client's, or, with StrictTraceContinuation,
	// is known on one side only. Each started a new trace.
	OtherOrganization uint64
}

// refusal is one kind of refused input.
type refusal int

const (
	refusedTooLarge refusal = iota
	refusedSentryTrace
	refusedBaggage
	refusedOtherOrg
	refusalKinds
)

// propagatorStats is shared by the copies of one Propagator.
type propagatorStats struct {
	count    [refusalKinds]atomic.Uint64
	reported [refusalKinds]atomic.Bool
}

// refused counts the refusal err stands for, and reports the first of its
// kind to OTel's error handler. A nil error, and a missing sentry-trace
// header, are not refusals.
func (s *propagatorStats) refused(err error) {
	if s == nil || err == nil || errors.Is(err, errSentryTraceEmpty) {
		return
	}
	var kind refusal
	switch {
	case errors.Is(err, errHeaderTooLarge):
		kind = refusedTooLarge
	case errors.Is(err, errOtherOrg):
		kind = refusedOtherOrg
	case isBaggageError(err):
		kind = refusedBaggage
	default:
		kind = refusedSentryTrace
	}
	s.count[kind].Add(1)
	if !s.reported[kind].Load() && s.reported[kind].CompareAndSwap(false, true) {
		otel.Handle(fmt.Errorf("otelsentry: refused incoming trace headers (reported once, counted in Propagator.Stats): %w", err))
	}
}

func isBaggageError(err error) bool {
	for _, e := range []error{errBaggageMember, errBaggageMemberSize, errBaggageValue,
		errBaggageTooMany, errBaggageNumber, errBaggageDSCSize} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// Stats returns what the propagator, and every copy of it, refused.
func (p Propagator) Stats() PropagatorStats {
	s := p.stats
	if s == nil {
		return PropagatorStats{}
	}
	return PropagatorStats{
		HeadersTooLarge:      s.count[refusedTooLarge].Load(),
		MalformedSentryTrace: s.count[refusedSentryTrace].Load(),
		MalformedBaggage:     s.count[refusedBaggage].Load(),
		OtherOrganization:    s.count[refusedOtherOrg].Load(),
	}
}
