package otelsentry

import (
	"context"
	"encoding/binary"
	"math/bits"
	"strconv"
	"strings"
	"sync"
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
	dscTransaction = "transaction"
	dscReplayID    = "replay_id"
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
	orgID       uint64 // the DSN's org id, or ClientOptions.OrgID; 0 when unknown
	release     string
	environment string
	// tracing is the client's EnableTracing (see NewSampler). rate stays
	// the client's TracesSampleRate either way: a span that another sampler
	// sampled must not go out with rate 0.
	tracing   bool
	rate      float64
	rateText  string
	strictOrg bool
	dsnHost   string
	project   string // the DSN's project id
	maxSpans  int
	// ignoreStatus is the client's TraceIgnoreStatusCodes: HTTP status
	// codes, alone or as inclusive [min, max] ranges, whose transactions
	// are not sent. sentry-go makes it {{404}} when left nil.
	ignoreStatus [][]int
	// propagateTraceparent is the client's PropagateTraceparent.
	propagateTraceparent bool
	// propagationTargets is the client's TracePropagationTargets.
	propagationTargets []string
	// privacy filters span data as the client collects data.
	privacy privacy
	// wire is how this package encodes and sends the client's
	// transactions itself, made on first use by wireOf.
	wire     *wireClient
	wireOnce sync.Once

	// clientMembers are the members of a head DSC that come from the
	// client, the same for every trace: public_key, release, environment
	// and org_id, those that are known. clientBaggage is their encoding,
	// each member led by a comma, as it follows the trace's own members.
	clientMembers []dscMember
	clientBaggage string
}

func newClientInfo(c *sentry.Client) *clientInfo {
	o := c.Options()
	info := &clientInfo{
		client:      c,
		release:     o.Release,
		environment: o.Environment,
		tracing:     o.EnableTracing,
		rate:        clampRate(o.TracesSampleRate),
		strictOrg:   o.StrictTraceContinuation,
		maxSpans:    o.MaxSpans,
		privacy:     privacyOf(c),

		propagateTraceparent: o.PropagateTraceparent,
		propagationTargets:   o.TracePropagationTargets,

		ignoreStatus: o.TraceIgnoreStatusCodes,
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
	info.orgID = org
	orgText := ""
	if org != 0 {
		orgText = strconv.FormatUint(org, 10)
	}
	for _, m := range []dscMember{
		{dscPublicKey, info.publicKey}, {dscRelease, info.release},
		{dscEnvironment, info.environment}, {dscOrgID, orgText},
	} {
		if m.value != "" || m.key == dscPublicKey {
			info.clientMembers = append(info.clientMembers, m)
		}
	}
	client := DynamicSamplingContext{members: info.clientMembers}
	info.clientBaggage = string(client.appendBaggage(nil, headDynamicMaxLen))
	return info
}

// wireOf returns how the client's transactions are encoded and sent.
func (c *clientInfo) wireOf() *wireClient {
	c.wireOnce.Do(func() { c.wire = newWireClient(c.client) })
	return c.wire
}

// ignoresStatus reports whether a transaction whose HTTP status code is code
// is not to be sent, by the client's TraceIgnoreStatusCodes. Code 0 means no
// status code.
func (c *clientInfo) ignoresStatus(code int64) bool {
	if code == 0 {
		return false
	}
	for _, r := range c.ignoreStatus {
		switch len(r) {
		case 1:
			if code == int64(r[0]) {
				return true
			}
		case 2:
			if int64(r[0]) <= code && code <= int64(r[1]) {
				return true
			}
		}
	}
	return false
}

// clientCache remembers the clientInfo of the last client asked for.
// Clients are immutable, so one entry serves a process with one client.
type clientCache struct {
	last atomic.Pointer[clientInfo]
}

// info returns what the package needs of c, or nil when c sends nothing: a
// nil client, or sentry-go's no-op client, which a hub without a client
// (before sentry.Init, say) returns.
func (cc *clientCache) info(c *sentry.Client) *clientInfo {
	if !c.IsEnabled() {
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

// parseRand reads a sample_rand value: a plain decimal number in [0, 1)
// (see parseDecimal).
func parseRand(s string) (float64, bool) {
	f, ok := parseDecimal(s)
	return f, ok && f < 1
}

// parseRate reads a sample_rate value: a plain decimal number in [0, 1]
// (see parseDecimal).
func parseRate(s string) (float64, bool) {
	f, ok := parseDecimal(s)
	return f, ok && f <= 1
}

// maxDecimalLen bounds the numbers parseDecimal reads. Sentry's SDKs write
// sample rates and sample_rand values in at most about 25 characters.
const maxDecimalLen = 64

// parseDecimal reads a non-negative number as Sentry's SDKs write one and
// every SDK reads the same way: digits, an optional fraction, and an
// optional exponent, as JavaScript's String(1e-7) and Python's repr(1e-05)
// write small rates. A sign, a leading or trailing point, hexadecimal,
// underscores, Inf and NaN are refused (strconv.ParseFloat, JavaScript's
// parseFloat and Python's float each accept some of them, and each reads
// them differently), and so is a non-zero number that is too small for a
// float64, such as 1e-400.
func parseDecimal(s string) (float64, bool) {
	if s == "" || len(s) > maxDecimalLen {
		return 0, false
	}
	i, nonZero := 0, false
	digits := func() int {
		start := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			nonZero = nonZero || s[i] != '0'
			i++
		}
		return i - start
	}
	if digits() == 0 {
		return 0, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return 0, false
		}
	}
	mantissaNonZero := nonZero
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || (f == 0 && mantissaNonZero) {
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
	h := headValuesOf(sc, info)
	// One buffer holds the trace id and the sample_rand text.
	buf := make([]byte, traceIDHexLen, traceIDHexLen+8)
	encodeHex(buf, h.traceID[:])
	buf = appendRand(buf, h.rand)
	text := string(buf)

	members := make([]dscMember, 0, 4+len(info.clientMembers))
	members = append(members,
		dscMember{dscTraceID, text[:traceIDHexLen]},
		dscMember{dscSampleRate, h.rateText},
		dscMember{dscSampleRand, text[traceIDHexLen:]},
		dscMember{dscSampled, strconv.FormatBool(h.sampled)},
	)
	members = append(members, info.clientMembers...)
	return DynamicSamplingContext{members: members}
}

// headBaggage returns headDSC(sc, info).String(), written at once: the
// trace's own members, then the client's, encoded once per client.
func headBaggage(sc trace.SpanContext, info *clientInfo) string {
	h := headValuesOf(sc, info)
	var b strings.Builder
	b.Grow(headDynamicMaxLen + len(info.clientBaggage))
	var buf [traceIDHexLen]byte
	encodeHex(buf[:], h.traceID[:])
	b.WriteString(sentryPrefix + dscTraceID + "=")
	b.Write(buf[:])
	b.WriteString("," + sentryPrefix + dscSampleRate + "=")
	b.WriteString(h.rateText) // digits and a point: nothing to escape
	b.WriteString("," + sentryPrefix + dscSampleRand + "=")
	var rand [8]byte
	b.Write(appendRand(rand[:0], h.rand))
	b.WriteString("," + sentryPrefix + dscSampled + "=")
	b.WriteString(strconv.FormatBool(h.sampled))
	b.WriteString(info.clientBaggage)
	return b.String()
}

// headDynamicMaxLen bounds the encoding of the trace's own members of a
// head DSC, which come before the client's.
const headDynamicMaxLen = len("sentry-trace_id=") + traceIDHexLen +
	len(",sentry-sample_rate=") + 32 + len(",sentry-sample_rand=0.000000") + len(",sentry-sampled=false")

// headValues are the values of a head DSC that vary by trace.
type headValues struct {
	traceID  trace.TraceID
	rateText string
	rand     uint64 // units of 1/randUnits
	sampled  bool
}

func headValuesOf(sc trace.SpanContext, info *clientInfo) headValues {
	rate, rateText := info.rate, info.rateText
	if r, text, ok := rateFromTraceState(sc.TraceState()); ok && !sc.IsRemote() {
		// Only NewSampler writes it, for a trace it starts here; a remote
		// span context's is a caller's.
		rate, rateText = r, text
	}
	sampled := sc.IsSampled()
	return headValues{
		traceID:  sc.TraceID(),
		rateText: rateText,
		rand:     consistentRand(randFromTraceID(sc.TraceID()), rate, sampled),
		sampled:  sampled,
	}
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
