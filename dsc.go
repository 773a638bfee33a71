package otelsentry

import (
	"context"
	"encoding/binary"
	"math/bits"
	"strconv"
	"sync/atomic"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/trace"
)

// DSC keys, without the sentry- prefix.
const (
	dscTraceID     = "trace_id"
	dscPublicKey   = "public_key"
	dscSampleRate  = "sample_rate"
	dscSampleRand  = "sample_rand"
	dscSampled     = "sampled"
	dscRelease     = "release"
	dscEnvironment = "environment"
	dscOrgID       = "org_id"
)

// tracestateKey is the tracestate member in which NewSampler records the
// sample rate of a trace it started, when that rate is not the client's
// TracesSampleRate (a TracesSampler or WithSampleRate chose it). The
// propagator and the span processor read it back for the head DSC.
const tracestateKey = "sentry"

// randUnits is the resolution of the sample_rand values made here: six
// decimals, as the Sentry SDKs send.
const randUnits = 1_000_000

// clientInfo is what the head DSC and the processor need of a sentry-go
// client, read once per client.
type clientInfo struct {
	client      *sentry.Client
	publicKey   string
	orgID       string // decimal; empty when unknown
	release     string
	environment string
	rate        float64
	rateText    string
	strictOrg   bool
	dsnHost     string
	project     string // the DSN's project id
	maxSpans    int
	// sendPII tells whether end-user identifiers such as IP addresses may
	// be sent: sentry-go's DataCollection.UserInfo, or SendDefaultPII.
	sendPII bool
}

func newClientInfo(c *sentry.Client) *clientInfo {
	o := c.Options()
	info := &clientInfo{
		client:      c,
		release:     o.Release,
		environment: o.Environment,
		rate:        clampRate(o.TracesSampleRate),
		strictOrg:   o.StrictTraceContinuation,
		maxSpans:    o.MaxSpans,
		sendPII:     c.GetDataCollection().UserInfo.Value,
	}
	info.rateText = formatRate(info.rate)
	var org uint64
	if dsn, err := sentry.NewDsn(o.Dsn); err == nil {
		info.publicKey = dsn.GetPublicKey()
		info.dsnHost = dsn.GetHost()
		info.project = dsn.GetProjectID()
		org = dsn.GetOrgID()
	}
	if o.OrgID != 0 {
		org = o.OrgID
	}
	if org != 0 {
		info.orgID = strconv.FormatUint(org, 10)
	}
	return info
}

// clientCache remembers the clientInfo of the last client asked for.
// Clients are immutable, so one entry serves a process with one client.
type clientCache struct {
	last atomic.Pointer[clientInfo]
}

func (cc *clientCache) info(c *sentry.Client) *clientInfo {
	if c == nil {
		return nil
	}
	if cc == nil {
		return newClientInfo(c)
	}
	if info := cc.last.Load(); info != nil && info.client == c {
		return info
	}
	info := newClientInfo(c)
	cc.last.Store(info)
	return info
}

// hubFor picks the hub: the configured one, else the one stored in ctx,
// else sentry-go's current hub.
func hubFor(ctx context.Context, configured *sentry.Hub) *sentry.Hub {
	if configured != nil {
		return configured
	}
	if ctx != nil {
		if h := sentry.GetHubFromContext(ctx); h != nil {
			return h
		}
	}
	return sentry.CurrentHub()
}

// randFromTraceID derives a uniform sample_rand, in units of 1/randUnits,
// from the random low half of a trace id.
func randFromTraceID(tid trace.TraceID) uint64 {
	hi, _ := bits.Mul64(binary.BigEndian.Uint64(tid[8:]), randUnits)
	return hi
}

// consistentRand maps the uniform draw k into [0, rate) when the trace is
// sampled and into [rate, 1) when it is not, as Sentry asks of a sample_rand
// made up for a decision already taken. A draw that already agrees with the
// decision is kept.
func consistentRand(k uint64, rate float64, sampled bool) uint64 {
	if randSampled(k, rate) == sampled {
		return k
	}
	// cut is the first unit not below rate: units below it sample.
	cut := uint64(rate * randUnits)
	if float64(cut) < rate*randUnits {
		cut++
	}
	if sampled {
		if cut == 0 {
			return k // rate 0 cannot have sampled: keep the draw
		}
		return k * cut / randUnits
	}
	if cut >= randUnits {
		return k // rate 1 cannot have dropped: keep the draw
	}
	return cut + k*(randUnits-cut)/randUnits
}

// randSampled is the decision: sample_rand < rate.
func randSampled(k uint64, rate float64) bool {
	return float64(k)/randUnits < rate
}

// appendRand writes k units as a decimal with six digits: 0.dddddd.
func appendRand(b []byte, k uint64) []byte {
	var digits [6]byte
	for i := 5; i >= 0; i-- {
		digits[i] = byte('0' + k%10)
		k /= 10
	}
	b = append(b, '0', '.')
	return append(b, digits[:]...)
}

// parseRand reads a sample_rand value: a number in [0, 1).
func parseRand(s string) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f >= 0 && f < 1) {
		return 0, false
	}
	return f, true
}

// parseRate reads a sample_rate value: a number in [0, 1].
func parseRate(s string) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f >= 0 && f <= 1) {
		return 0, false
	}
	return f, true
}

func formatRate(r float64) string {
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// rateFromTraceState returns the rate NewSampler recorded for the trace, if
// it recorded one.
func rateFromTraceState(ts trace.TraceState) (float64, string, bool) {
	v := ts.Get(tracestateKey)
	if len(v) < 3 || v[:2] != "r:" {
		return 0, "", false
	}
	r, ok := parseRate(v[2:])
	return r, v[2:], ok
}

// headDSC builds the DSC of a trace that starts in this service. Every
// value derives from the trace's span context and the client, so each span
// and each request of the trace gets the same DSC without shared state.
func headDSC(sc trace.SpanContext, info *clientInfo) DynamicSamplingContext {
	rate, rateText := info.rate, info.rateText
	if r, text, ok := rateFromTraceState(sc.TraceState()); ok {
		rate, rateText = r, text
	}
	sampled := sc.IsSampled()
	k := consistentRand(randFromTraceID(sc.TraceID()), rate, sampled)

	// One buffer holds the trace id and the sample_rand text.
	buf := make([]byte, traceIDHexLen, traceIDHexLen+8)
	tid := sc.TraceID()
	encodeHex(buf, tid[:])
	buf = appendRand(buf, k)
	text := string(buf)

	members := make([]dscMember, 0, 8)
	members = append(members,
		dscMember{dscTraceID, text[:traceIDHexLen]},
		dscMember{dscPublicKey, info.publicKey},
		dscMember{dscSampleRate, rateText},
		dscMember{dscSampleRand, text[traceIDHexLen:]},
		dscMember{dscSampled, strconv.FormatBool(sampled)},
	)
	if info.release != "" {
		members = append(members, dscMember{dscRelease, info.release})
	}
	if info.environment != "" {
		members = append(members, dscMember{dscEnvironment, info.environment})
	}
	if info.orgID != "" {
		members = append(members, dscMember{dscOrgID, info.orgID})
	}
	return DynamicSamplingContext{members: members}
}

// withSampleRand returns d with a valid sample_rand: the one it has, or one
// made up from the trace id that agrees with the incoming rate and decision.
func withSampleRand(d DynamicSamplingContext, tid trace.TraceID, dec decision) (DynamicSamplingContext, float64) {
	if v, ok := d.Get(dscSampleRand); ok {
		if r, ok := parseRand(v); ok {
			return d, r
		}
	}
	k := randFromTraceID(tid)
	if rate, ok := parseRateMember(d); ok && dec != decisionDeferred {
		k = consistentRand(k, rate, dec == decisionSampled)
	}
	if d.Len() == 0 {
		// An empty DSC stays empty: the caller sent no sentry- members.
		return d, float64(k) / randUnits
	}
	members := make([]dscMember, 0, len(d.members)+1)
	for _, m := range d.members {
		if m.key != dscSampleRand {
			members = append(members, m)
		}
	}
	members = append(members, dscMember{dscSampleRand, string(appendRand(nil, k))})
	return DynamicSamplingContext{members: members}, float64(k) / randUnits
}

func parseRateMember(d DynamicSamplingContext) (float64, bool) {
	v, ok := d.Get(dscSampleRate)
	if !ok {
		return 0, false
	}
	return parseRate(v)
}
