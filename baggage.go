package otelsentry

import (
	"context"
	"errors"
	"iter"
	"strings"

	"github.com/getsentry/sentry-go"
)

const (
	baggageHeader = "baggage"
	// sentryPrefix marks the baggage members that form the DSC.
	sentryPrefix = "sentry-"

	// maxBaggageBytes is the largest baggage header written, from the W3C
	// Baggage specification (section 3.3.1, limits).
	maxBaggageBytes = 8192
	// maxMemberBytes is the largest baggage member read, the limit of
	// OpenTelemetry Go's baggage package.
	maxMemberBytes = 4096
	// maxDSCMembers is the most sentry- members kept from one header, but
	// for those of the keys Sentry defines, which are always read. A Sentry
	// SDK sends about ten; the W3C asks receivers to keep 64 members.
	maxDSCMembers = 64
)

var (
	errBaggageMember     = errors.New("baggage: malformed member skipped")
	errBaggageMemberSize = errors.New("baggage: member over 4096 bytes skipped")
	errBaggageValue      = errors.New("baggage: member with a malformed value skipped")
	errBaggageTooMany    = errors.New("baggage: more than 64 sentry- members, the rest skipped")
	errBaggageNumber     = errors.New("baggage: sample_rate or sample_rand that is not a plain decimal number in range skipped")
	errBaggageDSCSize    = errors.New("baggage: sentry- members past 8192 bytes skipped")
)

// DynamicSamplingContext is the Dynamic Sampling Context (DSC) of a trace:
// the sentry- members of its W3C baggage, which Sentry uses to sample the
// trace the same way in every service. Keys are given without the sentry-
// prefix ("trace_id", "public_key", "sample_rate", ...), values decoded.
//
// The zero value is an empty DSC. A DynamicSamplingContext is immutable and
// safe for concurrent use.
type DynamicSamplingContext struct {
	members []dscMember
}

type dscMember struct {
	key, value string
}

// Get returns the value of the DSC key, given without the sentry- prefix.
func (d DynamicSamplingContext) Get(key string) (string, bool) {
	if i := d.index(key); i >= 0 {
		return d.members[i].value, true
	}
	return "", false
}

// Len returns the number of keys of the DSC.
func (d DynamicSamplingContext) Len() int { return len(d.members) }

// All returns the keys (without the sentry- prefix) and values of the DSC in
// the order in which they were received or built.
func (d DynamicSamplingContext) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, m := range d.members {
			if !yield(m.key, m.value) {
				return
			}
		}
	}
}

// String returns the DSC as W3C baggage members (sentry-key=value, comma
// separated, values percent-encoded), at most 8192 bytes.
func (d DynamicSamplingContext) String() string {
	if len(d.members) == 0 {
		return ""
	}
	return string(d.appendBaggage(make([]byte, 0, d.encodedLen()), 0))
}

// fits reports whether a member of n encoded bytes may be added to a header
// of used bytes: members longer than maxMemberBytes are never written, and
// the header stays within maxBaggageBytes.
func fits(used, n int) bool {
	if n > maxMemberBytes {
		return false // a receiver, this package and OTel Go among them, would skip it
	}
	if used > 0 {
		n++ // the comma
	}
	return used+n <= maxBaggageBytes
}

// encodedLen returns an upper bound of the length of String's result.
func (d DynamicSamplingContext) encodedLen() int {
	n := 0
	for _, m := range d.members {
		n += encodedMemberLen(m) + 1
	}
	return min(n, maxBaggageBytes)
}

// Sentry returns the DSC as sentry-go's type, frozen, for code that builds
// sentry-go transactions or envelopes by hand.
func (d DynamicSamplingContext) Sentry() sentry.DynamicSamplingContext {
	entries := make(map[string]string, len(d.members))
	for _, m := range d.members {
		entries[m.key] = m.value
	}
	return sentry.DynamicSamplingContext{Entries: entries, Frozen: true}
}

// DynamicSamplingContextFromContext returns the DSC that the propagator
// extracted from an incoming request and froze in ctx. It reports false when
// ctx holds no incoming Sentry trace; the DSC may be empty when the caller
// sent sentry-trace without sentry- baggage members. When the caller sent a
// DSC without a valid sample_rand, the DSC holds one made up by Extract, as
// Sentry's sampling rules ask, and passes it on from then on.
func DynamicSamplingContextFromContext(ctx context.Context) (DynamicSamplingContext, bool) {
	st := incomingFromContext(ctx)
	if st == nil {
		return DynamicSamplingContext{}, false
	}
	return st.dsc, true
}

// parseDSC reads the sentry- members of a W3C baggage header. Members of
// other vendors are passed over; a malformed sentry- member is skipped and
// reported by the returned error, which names the last problem met. When a
// key comes twice the last valid member wins, as in OTel Go and sentry-go.
// A sample_rate or sample_rand that is not a plain decimal number in range
// (parseRate, parseRand) is skipped the same way.
//
// What is kept is copied out of header, so that a context holding the DSC
// does not hold the header, and bounded by keptDSC. The kept members are
// valid whatever the error.
func parseDSC(header string) (DynamicSamplingContext, error) {
	var (
		d   DynamicSamplingContext
		err error
		// The members read, before keptDSC copies what it keeps: on the
		// stack for a header of Sentry's usual size.
		read [16]dscMember
	)
	d.members = read[:0]
	for header != "" {
		var member string
		member, header, _ = strings.Cut(header, ",")
		if len(member) > maxMemberBytes {
			if strings.Contains(member, sentryPrefix) {
				err = errBaggageMemberSize
			}
			continue
		}
		member = trimOWS(member)
		if !strings.HasPrefix(member, sentryPrefix) {
			continue
		}
		m, mErr := parseDSCMember(member)
		if mErr != nil {
			err = mErr
			continue
		}
		if i := d.index(m.key); i >= 0 {
			d.members[i].value = m.value // the last member of a key wins
			continue
		}
		if len(d.members) >= maxDSCMembers && !sentryDSCKeys[m.key] {
			err = errBaggageTooMany
			continue
		}
		d.members = append(d.members, m)
	}
	kept, dropped := keptDSC(d.members)
	if dropped {
		err = errBaggageDSCSize
	}
	return DynamicSamplingContext{members: kept}, err
}

// parseDSCMember reads one sentry- member, without surrounding white space.
func parseDSCMember(member string) (dscMember, error) {
	kv, _, _ := strings.Cut(member, ";") // properties carry nothing for the DSC
	k, v, ok := strings.Cut(kv, "=")
	if !ok {
		return dscMember{}, errBaggageMember
	}
	k, v = trimOWS(k), trimOWS(v)
	if len(k) == len(sentryPrefix) || !isToken(k) {
		return dscMember{}, errBaggageMember
	}
	value, ok := decodeBaggageValue(v)
	if !ok {
		return dscMember{}, errBaggageValue
	}
	key := k[len(sentryPrefix):]
	switch key {
	case dscSampleRate:
		_, ok = parseRate(value)
	case dscSampleRand:
		_, ok = parseRand(value)
	}
	if !ok {
		return dscMember{}, errBaggageNumber
	}
	return dscMember{key: key, value: value}, nil
}

// index returns the position of key among the members, or -1.
func (d DynamicSamplingContext) index(key string) int {
	for i, m := range d.members {
		if m.key == key {
			return i
		}
	}
	return -1
}

// maxDSCBytes bounds the baggage encoding of a frozen DSC, and so what it
// adds to every envelope it goes on and to every request it is passed on
// with. It is the outgoing header's bound less room for the sample_rand
// that Extract adds when the caller left it out.
const maxDSCBytes = maxBaggageBytes - len(",sentry-sample_rand=0.000000")

// sentryDSCKeys are the DSC keys Sentry defines. Past maxDSCBytes, the
// members of other keys are dropped first.
var sentryDSCKeys = map[string]bool{
	dscTraceID: true, dscPublicKey: true, dscSampleRate: true, dscSampleRand: true,
	dscSampled: true, dscRelease: true, dscEnvironment: true, dscTransaction: true,
	dscOrgID: true, dscReplayID: true,
}

// keptDSC returns copies of the members that fit in maxDSCBytes, in their
// order, all held by one allocation: those of the keys Sentry defines
// first, then the others. It reports whether any member was dropped.
func keptDSC(members []dscMember) ([]dscMember, bool) {
	if len(members) == 0 {
		return nil, false
	}
	var keepAll [maxDSCMembers + 16]bool // the members of Sentry's keys past the cap too
	keep := keepAll[:]
	if len(members) > len(keep) {
		keep = make([]bool, len(members))
	}
	used, size, dropped := 0, 0, false
	for _, defined := range []bool{true, false} {
		for i, m := range members {
			if sentryDSCKeys[m.key] != defined {
				continue
			}
			n := encodedMemberLen(m)
			if used > 0 {
				n++ // the comma
			}
			if used+n > maxDSCBytes {
				dropped = true
				continue
			}
			keep[i] = true
			used += n
			size += len(m.key) + len(m.value)
		}
	}
	buf := make([]byte, 0, size)
	for i, m := range members {
		if keep[i] {
			buf = append(buf, m.key...)
			buf = append(buf, m.value...)
		}
	}
	text := string(buf)
	kept := make([]dscMember, 0, len(members))
	for i, m := range members {
		if !keep[i] {
			continue
		}
		key := text[:len(m.key)]
		value := text[len(m.key) : len(m.key)+len(m.value)]
		text = text[len(m.key)+len(m.value):]
		kept = append(kept, dscMember{key: key, value: value})
	}
	return kept, dropped
}

// appendBaggage appends the DSC as baggage members to b. used is the length
// of a header the members will be appended to; members that would take the
// header past maxBaggageBytes, or that are longer than maxMemberBytes, are
// dropped whole.
func (d DynamicSamplingContext) appendBaggage(b []byte, used int) []byte {
	for _, m := range d.members {
		n := encodedMemberLen(m)
		if !fits(used, n) {
			continue
		}
		if used > 0 {
			b = append(b, ',')
			used++
		}
		b = append(b, sentryPrefix...)
		b = append(b, m.key...)
		b = append(b, '=')
		if n == len(sentryPrefix)+len(m.key)+1+len(m.value) {
			b = append(b, m.value...) // nothing to escape: encodedMemberLen counted it
		} else {
			b = appendBaggageValue(b, m.value)
		}
		used += n
	}
	return b
}

func encodedMemberLen(m dscMember) int {
	n := len(sentryPrefix) + len(m.key) + 1 + len(m.value)
	for i := 0; i < len(m.value); i++ {
		if !isBaggageOctet(m.value[i]) || m.value[i] == '%' {
			n += 2
		}
	}
	return n
}

// mergeBaggage returns the baggage header to write on a carrier that
// already has the header existing: its members that are not sentry-
// members, verbatim and in order, followed by the DSC's members that fit.
func mergeBaggage(existing string, d DynamicSamplingContext) string {
	b := make([]byte, 0, len(existing)+d.encodedLen()+1)
	for existing != "" {
		var member string
		member, existing, _ = strings.Cut(existing, ",")
		member = trimOWS(member)
		if member == "" || strings.HasPrefix(member, sentryPrefix) {
			continue
		}
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = append(b, member...)
	}
	return string(d.appendBaggage(b, len(b)))
}

// hasMembers reports whether a baggage header holds anything but commas and
// white space.
func hasMembers(header string) bool {
	return strings.Trim(header, " \t,") != ""
}

func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// isToken reports whether s is an RFC 7230 token, the grammar of baggage keys.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || !tokenChars[c] {
			return false
		}
	}
	return true
}

var tokenChars = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// isBaggageOctet reports whether c may stand unencoded in a baggage value
// (W3C Baggage, baggage-octet).
func isBaggageOctet(c byte) bool { return baggageOctets[c] }

var baggageOctets = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c == 0x21 || (0x23 <= c && c <= 0x2b) || (0x2d <= c && c <= 0x3a) ||
			(0x3c <= c && c <= 0x5b) || (0x5d <= c && c <= 0x7e)
	}
	return t
}()

// decodeBaggageValue percent-decodes a baggage value. It fails on bytes that
// are not baggage octets and on malformed escapes.
func decodeBaggageValue(v string) (string, bool) {
	escapes := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !isBaggageOctet(c) {
			return "", false
		}
		if c == '%' {
			if i+2 >= len(v) || !isHex(v[i+1]) || !isHex(v[i+2]) {
				return "", false
			}
			escapes++
			i += 2
		}
	}
	if escapes == 0 {
		return v, true
	}
	b := make([]byte, 0, len(v)-2*escapes)
	for i := 0; i < len(v); i++ {
		if v[i] == '%' {
			b = append(b, unhex(v[i+1])<<4|unhex(v[i+2]))
			i += 2
			continue
		}
		b = append(b, v[i])
	}
	return string(b), true
}

// appendBaggageValue appends v percent-encoded: every byte outside the W3C
// baggage-octet range, and '%', as %XX.
func appendBaggageValue(b []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if isBaggageOctet(c) && c != '%' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', upperHex[c>>4], upperHex[c&0x0f])
	}
	return b
}

const upperHex = "0123456789ABCDEF"

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
