package otelsentry

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Propagator propagates traces in Sentry's format: the sentry-trace header
// and the sentry- members of the W3C baggage header. Create it with
// NewPropagator.
//
// Extract continues the caller's trace, from sentry-trace, else from the W3C
// traceparent, and freezes its Dynamic Sampling Context (DSC) in the
// context. Inject writes sentry-trace for the span in the context and the
// DSC: the frozen one, or, when the trace starts in this service, a head DSC
// built from the sentry-go client; and traceparent when asked to. Members of
// other vendors in an outgoing baggage header are kept as they are.
//
// It does the whole job alone. It works with or without the span processor
// and sampler of this package, and in a composite after
// propagation.TraceContext and propagation.Baggage, so that sentry-trace
// wins over traceparent.
type Propagator struct {
	hub     *sentry.Hub
	clients *clientCache
	stats   *propagatorStats
	// writeTraceparent writes traceparent too (WithTraceparent); without
	// it, the client's PropagateTraceparent decides.
	writeTraceparent bool
}

var _ propagation.TextMapPropagator = Propagator{}

// NewPropagator returns a propagator of Sentry's sentry-trace and baggage
// headers. WithHub chooses the client whose DSN, release, environment and
// sample rate go into the head DSC; without it, the hub in the context is
// used, else sentry.CurrentHub(). Other options are ignored.
func NewPropagator(opts ...Option) Propagator {
	c := newConfig(opts)
	return Propagator{hub: c.hub, clients: new(clientCache), stats: new(propagatorStats), writeTraceparent: c.traceparent}
}

// NewSentryPropagator returns NewPropagator().
//
// Deprecated: NewSentryPropagator eases the move from
// github.com/getsentry/sentry-go/otel. Use NewPropagator.
func NewSentryPropagator() propagation.TextMapPropagator {
	return NewPropagator()
}

// Fields returns the headers Inject writes: sentry-trace and baggage, and
// traceparent when asked to (WithTraceparent, or the client's
// PropagateTraceparent).
func (Propagator) Fields() []string {
	return []string{sentryTraceHeader, baggageHeader, traceparentHeader}
}

// Extract continues the trace of a valid sentry-trace header: it returns ctx
// with a remote span context whose span id is the caller's span, sampled for
// "-1", not sampled for "-0" and for a deferred decision (no flag), which
// NewSampler then decides. The sentry- members of baggage are frozen in ctx
// as the trace's DSC; a malformed member is skipped alone.
//
// Without a valid sentry-trace header, a valid W3C traceparent (with its
// tracestate, less the member NewSampler writes) is continued the same way,
// sampled as its flag says, and the sentry- members of the baggage, if any,
// are frozen as the DSC; a parent that a propagator before this one
// extracted is kept. With neither, ctx is returned unchanged. A caller of
// another Sentry organization starts a new trace: ctx loses any remote
// parent.
func (p Propagator) Extract(ctx context.Context, carrier propagation.TextMapCarrier) context.Context {
	ctx, _ = p.extract(ctx, carrier)
	return ctx
}

func (p Propagator) extract(ctx context.Context, carrier propagation.TextMapCarrier) (context.Context, error) {
	prev := trace.SpanContextFromContext(ctx)
	raw, err := headerValue(carrier, sentryTraceHeader, maxSentryTraceBytes)
	var (
		tid trace.TraceID
		sid trace.SpanID
		dec decision
	)
	if err == nil {
		tid, sid, dec, err = parseSentryTrace(raw)
	}
	w3c := false
	if err != nil {
		p.stats.refused(err)
		// Without a valid sentry-trace, the W3C parent: the traceparent
		// header, else what a propagator before this one extracted.
		if wtid, wsid, wdec, ok := p.traceparent(carrier); ok {
			tid, sid, dec, err, w3c = wtid, wsid, wdec, nil, true
		} else if prev.IsRemote() {
			tid, sid, dec, err, w3c = prev.TraceID(), prev.SpanID(), decisionOf(prev), nil, true
		} else {
			return ctx, err // nothing continued: nothing to check
		}
	}
	bag, bagErr := headerValue(carrier, baggageHeader, maxBaggageBytes)
	var dsc DynamicSamplingContext
	if bagErr == nil {
		dsc, bagErr = parseDSC(bag)
	}
	p.stats.refused(bagErr)
	if !p.continues(ctx, dsc) {
		p.stats.refused(errOtherOrg)
		if prev.IsValid() {
			// A parent that a propagator before this one extracted, from
			// traceparent say, is the same caller's: start a new trace.
			ctx = trace.ContextWithSpanContext(ctx, trace.SpanContext{})
		}
		return ctx, errOtherOrg
	}

	scc := trace.SpanContextConfig{TraceID: tid, SpanID: sid, Remote: true}
	if dec == decisionSampled {
		scc.TraceFlags = trace.FlagsSampled
	}
	scc.TraceState = p.traceState(carrier, prev, tid, w3c)
	ctx = trace.ContextWithRemoteSpanContext(ctx, trace.NewSpanContext(scc))
	if w3c && dsc.Len() == 0 {
		// A W3C caller with no DSC: its trace continues, and this service
		// makes the DSC (a head DSC), as for a trace that starts here.
		return ctx, bagErr
	}
	// The DSC is frozen: from baggage with sentry-trace, or from the W3C
	// baggage a caller (or a W3C-only service between) passed on.
	in := &incoming{traceID: tid, spanID: sid, decision: dec}
	in.dsc, in.rand = withSampleRand(dsc, tid, dec)
	return contextWithIncoming(ctx, in), bagErr
}

// decisionOf is the decision of a W3C parent's sampled flag.
func decisionOf(sc trace.SpanContext) decision {
	if sc.IsSampled() {
		return decisionSampled
	}
	return decisionNotSampled
}

// traceState returns the tracestate of the trace tid to continue: the
// carrier's, or what a propagator before this one extracted of the same
// trace, without the member NewSampler writes (a caller's is not this
// service's) and empty when the header is over maxTraceStateBytes.
func (p Propagator) traceState(carrier propagation.TextMapCarrier, prev trace.SpanContext, tid trace.TraceID, w3c bool) trace.TraceState {
	h, err := headerValue(carrier, traceStateHeader, maxTraceStateBytes)
	p.stats.refused(err)
	if err != nil {
		return trace.TraceState{}
	}
	var ts trace.TraceState
	switch {
	case prev.IsRemote() && prev.TraceID() == tid:
		ts = prev.TraceState()
	case h != "" && (w3c || p.traceparentOf(carrier) == tid):
		ts, _ = trace.ParseTraceState(h) // a malformed one is dropped whole, as OTel's TraceContext does
	}
	return withoutSentryRate(ts)
}

// traceparentOf returns the trace id of the carrier's traceparent, or the
// zero id.
func (p Propagator) traceparentOf(carrier propagation.TextMapCarrier) trace.TraceID {
	tid, _, _, _ := p.traceparent(carrier)
	return tid
}

// continues applies Sentry's organization check, as sentry-go does: a trace
// of another organization is not continued, and with
// StrictTraceContinuation neither is one whose organization is known on one
// side only. An org_id that is not a decimal number counts as unknown.
func (p Propagator) continues(ctx context.Context, dsc DynamicSamplingContext) bool {
	info := p.clients.info(hubFor(ctx, p.hub).Client())
	if info == nil {
		return true
	}
	theirs, _ := dsc.Get(dscOrgID)
	return orgContinues(theirs, info.orgID, info.strictOrg)
}

func orgContinues(theirs string, ours uint64, strict bool) bool {
	n, err := strconv.ParseUint(theirs, 10, 64)
	if err != nil {
		n = 0
	}
	if n != 0 && ours != 0 && n != ours {
		return false
	}
	return !strict || n == ours
}

// Inject writes sentry-trace and baggage for the span context in ctx: the
// current span, or the remote parent when no span was started. Nothing is
// written for a context without a valid span context. The baggage header
// already on the carrier keeps its other members; its sentry- members are
// replaced. The header stays within 8192 bytes by leaving out whole
// sentry- members.
func (p Propagator) Inject(ctx context.Context, carrier propagation.TextMapCarrier) {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return
	}
	in := incomingForTrace(ctx, sc.TraceID())
	dec := decisionNotSampled
	switch {
	case sc.IsSampled():
		dec = decisionSampled
	case in != nil && in.decision == decisionDeferred && sc.IsRemote() && sc.SpanID() == in.spanID:
		dec = decisionDeferred // nobody here decided: pass the deferral on
	}
	carrier.Set(sentryTraceHeader, formatSentryTrace(sc.TraceID(), sc.SpanID(), dec))

	// The client is needed for a head DSC, when the trace starts here, and
	// for its PropagateTraceparent, unless WithTraceparent decided.
	var client *clientInfo
	if in == nil || !p.writeTraceparent {
		client = p.clients.info(hubFor(ctx, p.hub).Client())
	}
	if p.writeTraceparent || client != nil && client.propagateTraceparent {
		// The same trace and span as sentry-trace, for W3C peers.
		carrier.Set(traceparentHeader, formatTraceparent(sc.TraceID(), sc.SpanID(), dec))
		if ts := sc.TraceState(); ts.Len() > 0 {
			carrier.Set(traceStateHeader, ts.String())
		}
	}
	// info is the client of a head DSC: none when the DSC is frozen.
	var info *clientInfo
	if in == nil {
		info = client
	}
	existing := carrier.Get(baggageHeader)
	noDSC := in == nil && info == nil || in != nil && in.dsc.Len() == 0
	if noDSC && !strings.Contains(existing, sentryPrefix) {
		return // nothing of Sentry's to write or to remove: leave baggage as it is
	}
	var b string
	switch merge := hasMembers(existing); {
	case in != nil && merge:
		b = mergeBaggage(existing, in.dsc)
	case in != nil:
		b = in.baggage()
	case merge && info != nil:
		b = mergeBaggage(existing, headDSC(sc, info))
	case merge:
		b = mergeBaggage(existing, DynamicSamplingContext{}) // drop stale sentry- members
	case info != nil:
		b = headBaggage(sc, info)
	}
	if b != "" || existing != "" {
		carrier.Set(baggageHeader, b)
	}
}

// DynamicSamplingContext returns the DSC that Inject sends for ctx: the
// frozen incoming one, or the head DSC of a trace started in this service.
// It is empty when ctx has no valid span context or no client is bound.
func (p Propagator) DynamicSamplingContext(ctx context.Context) DynamicSamplingContext {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return DynamicSamplingContext{}
	}
	if in := incomingForTrace(ctx, sc.TraceID()); in != nil {
		return in.dsc
	}
	if info := p.clients.info(hubFor(ctx, p.hub).Client()); info != nil {
		return headDSC(sc, info)
	}
	return DynamicSamplingContext{}
}

// Limits on the incoming headers, checked before any other work. A header
// over its limit is refused whole, as OTel Go's Baggage propagator refuses
// a baggage header over 8192 bytes.
const (
	// maxSentryTraceBytes leaves room for a few comma-joined values around
	// the 51 bytes of one sentry-trace value.
	maxSentryTraceBytes = 512
	// maxTraceStateBytes is OTel Go's bound on a tracestate (32 members of
	// at most 256 bytes each), rounded up.
	maxTraceStateBytes = 8192
)

const traceStateHeader = "tracestate"

// errHeaderTooLarge reports an incoming header over its limit.
var errHeaderTooLarge = errors.New("otelsentry: incoming header over its size limit refused")

// headerValue returns a header of the carrier, all its values joined with
// commas when the carrier can hold several. A header longer than limit is
// refused with errHeaderTooLarge before anything else is done with it.
func headerValue(carrier propagation.TextMapCarrier, key string, limit int) (string, error) {
	if vg, ok := carrier.(propagation.ValuesGetter); ok {
		vs := vg.Values(key)
		n := len(vs) - 1
		for _, v := range vs {
			if n += len(v); n > limit {
				return "", errHeaderTooLarge
			}
		}
		switch len(vs) {
		case 0:
			return "", nil
		case 1:
			return vs[0], nil
		}
		return strings.Join(vs, ","), nil
	}
	v := carrier.Get(key)
	if len(v) > limit {
		return "", errHeaderTooLarge
	}
	return v, nil
}
