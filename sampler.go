package otelsentry

import (
	"context"
	"errors"
	"sync"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// SamplingContext is what a TracesSampler is told of a transaction root: a
// span with no parent, or with a remote parent.
type SamplingContext struct {
	// ParentContext is the context the span is started with.
	ParentContext context.Context
	// TraceID is the span's trace id.
	TraceID trace.TraceID
	// Name, Kind and Attributes are those the span is started with.
	Name       string
	Kind       trace.SpanKind
	Attributes []attribute.KeyValue
	// ParentSampled is the remote parent's decision: nil for a root or a
	// deferred parent, else whether the parent was sampled.
	ParentSampled *bool
}

// TracesSampler returns the sample rate, in [0, 1], of a transaction root.
// sentry-go's ClientOptions.TracesSampler takes sentry-go spans, which OTel
// spans are not, so NewSampler takes this callback instead and ignores the
// client's TracesSampler.
type TracesSampler func(SamplingContext) float64

// Sampler makes one sampling decision per trace for OpenTelemetry and
// Sentry. Create it with NewSampler.
type Sampler struct {
	hub           *sentry.Hub // WithHub's; nil to look it up per span
	rate          float64
	hasRate       bool
	tracesSampler TracesSampler
	// recordUnsampled records unsampled spans: WithUnsampledErrors.
	recordUnsampled bool
	clients         *clientCache
	description     string
	warned          sync.Map // *sentry.Client: told that its tracing is off
}

var _ sdktrace.Sampler = (*Sampler)(nil)

// NewSampler returns a sampler that decides as Sentry's SDKs do, so that
// every service of a trace agrees. For a span with a local parent it
// follows the parent. For a transaction root, in this order:
//
//  1. the TracesSampler set with WithTracesSampler gives the rate;
//  2. else an upstream decision wins: sentry-trace "-1" or "-0", or the
//     sampled flag of a W3C traceparent when only that came in;
//  3. else the rate is WithSampleRate's, or the TracesSampleRate of the
//     client of the hub: WithHub's, else the one in the parent context,
//     else sentry.CurrentHub() (0 without a client).
//
// A client whose EnableTracing is false samples nothing, not even under a
// sampled remote parent, as sentry-go does with its own transactions,
// unless WithSampleRate or WithTracesSampler is given.
//
// The decision is sample_rand < rate. sample_rand is the incoming DSC's
// (made up by the propagator when the caller left it out), or, for a trace
// that starts here, derived from the random trace id, which keeps the head
// DSC of the trace free of shared state. When the rate of a new trace is not
// the client's TracesSampleRate, it is recorded in the trace state under the
// key "sentry" so that the head DSC reports it.
//
// Unsampled spans do not record (sdktrace.Drop), unless WithUnsampledErrors
// is given: then they record (sdktrace.RecordOnly), so that the exceptions
// recorded on them reach Sentry.
//
// Options: WithHub, WithSampleRate, WithTracesSampler and
// WithUnsampledErrors.
func NewSampler(opts ...Option) *Sampler {
	c := newConfig(opts)
	desc := "rate=client"
	if c.hasSampleRate {
		desc = "rate=" + formatRate(c.sampleRate)
	}
	if c.unsampledErrors {
		desc += ",unsampled=record"
	}
	desc = "otelsentry.Sampler{" + desc + "}"
	return &Sampler{
		hub:             c.hub,
		rate:            c.sampleRate,
		hasRate:         c.hasSampleRate,
		tracesSampler:   c.tracesSampler,
		recordUnsampled: c.unsampledErrors,
		clients:         new(clientCache),
		description:     desc,
	}
}

// Description returns the sampler's name and rate setting.
func (s *Sampler) Description() string { return s.description }

// ShouldSample decides whether the span is recorded and sampled.
func (s *Sampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	psc := trace.SpanContextFromContext(p.ParentContext)
	if psc.IsValid() && !psc.IsRemote() {
		return s.result(psc.IsSampled(), psc.TraceState())
	}

	var in *incoming
	if psc.IsValid() {
		in = incomingForTrace(p.ParentContext, psc.TraceID())
		if in != nil && in.spanID != psc.SpanID() {
			in = nil
		}
	}
	parentKnown := psc.IsValid() && (in == nil || in.decision != decisionDeferred)
	info := s.clients.info(hubFor(p.ParentContext, s.hub).Client())
	clientRate := 0.0
	if info != nil {
		clientRate = info.rate
	}
	rate := clientRate
	if s.hasRate {
		rate = s.rate
	}
	if info != nil && !info.tracing && !s.hasRate && s.tracesSampler == nil {
		// The client turns tracing off, and nothing here turns it on: as
		// sentry-go does with its own transactions, rate 0 whatever the
		// parent decided.
		s.warnTracingOff(info)
		rate = 0
	} else if parentKnown && s.tracesSampler == nil {
		return s.result(psc.IsSampled(), withoutSentryRate(psc.TraceState()))
	}
	if s.tracesSampler != nil {
		sc := SamplingContext{
			ParentContext: p.ParentContext,
			TraceID:       p.TraceID,
			Name:          p.Name,
			Kind:          p.Kind,
			Attributes:    p.Attributes,
		}
		if parentKnown {
			sampled := psc.IsSampled()
			sc.ParentSampled = &sampled
		}
		rate = clampRate(s.tracesSampler(sc))
	}

	if psc.IsValid() {
		// A continued trace: its DSC is frozen upstream, so the rate is not
		// recorded here, and a caller's record of one is not kept.
		r := float64(randFromTraceID(p.TraceID)) / randUnits
		if in != nil {
			r = in.rand
		}
		return s.result(r < rate, withoutSentryRate(psc.TraceState()))
	}

	ts := psc.TraceState()
	if rate != clientRate {
		if next, err := ts.Insert(tracestateKey, "r:"+formatRate(rate)); err == nil {
			ts = next
		}
	}
	return s.result(randSampled(randFromTraceID(p.TraceID), rate), ts)
}

// errTracingOff is reported once per client that sets a TracesSampleRate
// but leaves EnableTracing false.
var errTracingOff = errors.New("otelsentry: the sentry-go client has a TracesSampleRate but EnableTracing is false, " +
	"so no trace is sampled; set ClientOptions.EnableTracing to true")

// warnTracingOff tells OTel's error handler, once per client, that the
// client of info, whose tracing is off, looks meant to trace.
func (s *Sampler) warnTracingOff(info *clientInfo) {
	if info.rate == 0 {
		return
	}
	if _, told := s.warned.Load(info.client); told {
		return
	}
	if _, told := s.warned.LoadOrStore(info.client, struct{}{}); !told {
		otel.Handle(errTracingOff)
	}
}

// result is the sampling result of a decision. An unsampled span is still
// recorded with WithUnsampledErrors, so that its exceptions can be sent.
func (s *Sampler) result(sampled bool, ts trace.TraceState) sdktrace.SamplingResult {
	switch {
	case sampled:
		return sdktrace.SamplingResult{Decision: sdktrace.RecordAndSample, Tracestate: ts}
	case s.recordUnsampled:
		return sdktrace.SamplingResult{Decision: sdktrace.RecordOnly, Tracestate: ts}
	}
	return sdktrace.SamplingResult{Decision: sdktrace.Drop, Tracestate: ts}
}

// withoutSentryRate returns ts without the member in which NewSampler
// records the rate of a trace it starts. A remote parent's is a caller's,
// and must not become this service's head DSC.
func withoutSentryRate(ts trace.TraceState) trace.TraceState {
	if ts.Get(tracestateKey) == "" {
		return ts
	}
	return ts.Delete(tracestateKey)
}
