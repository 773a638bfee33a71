package otelsentry

import (
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
)

// The appenders below write JSON into a byte slice, with no reflection and
// no intermediate values. Strings are escaped as JSON requires: quotes,
// backslashes and control characters, plus U+2028 and U+2029 as
// encoding/json does; invalid UTF-8 becomes U+FFFD.

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	i := plainPrefix(s)
	if i == len(s) {
		b = append(b, s...)
		return append(b, '"')
	}
	b = append(b, s[:i]...)
	return append(appendJSONEscaped(b, s[i:]), '"')
}

// plainPrefix returns the length of the longest prefix of s whose bytes
// jsonPlain marks. It looks at eight bytes at a time while none of them
// needs a closer look.
func plainPrefix(s string) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if !plainWord(uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56) {
			break
		}
	}
	for i < len(s) && jsonPlain[s[i]] {
		i++
	}
	return i
}

// plainWord reports whether each of the eight bytes of x stands for itself
// in a JSON string: none is a control character, a quote, a backslash or
// outside ASCII. The tests below are exact for bytes under 0x80, and x's
// own high bits catch the others.
func plainWord(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	control := (x - 0x20*ones) &^ x
	q := x ^ '"'*ones
	quote := (q - ones) &^ q
	bs := x ^ '\\'*ones
	backslash := (bs - ones) &^ bs
	return (control|quote|backslash|x)&highs == 0
}

// appendJSONEscaped appends s, which needs escapes, without its quotes.
func appendJSONEscaped(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if jsonPlain[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\ufffd"...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

// jsonPlain marks the bytes that stand for themselves in a JSON string
// without a look at what follows: printable ASCII but for the quote and
// the backslash. '<', '>' and '&' are left as they are: the payload is not
// HTML.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONKey appends a string and a colon.
func appendJSONKey(b []byte, k string) []byte {
	return append(appendJSONString(b, k), ':')
}

// appendJSONFloat appends a finite float as a JSON number. Callers handle
// NaN and infinities, which JSON cannot hold.
func appendJSONFloat(b []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return strconv.AppendFloat(b, f, 'f', -1, 64)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// appendJSONTime appends t as an RFC 3339 string in UTC with nanoseconds.
func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendJSONHex appends bytes as a string of lowercase hex digits: trace
// and span ids.
func appendJSONHex(b []byte, id []byte) []byte {
	n := len(b) + 1
	b = slices.Grow(append(b, '"'), 2*len(id)+1)[:n+2*len(id)]
	encodeHex(b[n:], id)
	return append(b, '"')
}

// appendJSONArray appends xs as a JSON array, each element by appendOne.
func appendJSONArray[T any](b []byte, xs []T, appendOne func([]byte, T) []byte) []byte {
	b = append(b, '[')
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendOne(b, x)
	}
	return append(b, ']')
}

// appendJSONInt appends n in decimal.
func appendJSONInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

// appendAttrValue appends an attribute value as Sentry's span data holds
// it, the way the sentry-go path writes it (see plainValue): booleans,
// integers, finite floats and strings as themselves, slices as arrays, and
// what JSON cannot hold (NaN, infinities, and slices holding them) as
// OpenTelemetry's string form. It reports false for an empty value, which
// is left out.
func appendAttrValue(b []byte, v attribute.Value) ([]byte, bool) {
	switch v.Type() {
	case attribute.BOOL:
		return strconv.AppendBool(b, v.AsBool()), true
	case attribute.INT64:
		return strconv.AppendInt(b, v.AsInt64(), 10), true
	case attribute.FLOAT64:
		if f := v.AsFloat64(); finiteFloat(f) {
			return appendJSONFloat(b, f), true
		}
	case attribute.STRING:
		return appendJSONString(b, v.AsString()), true
	case attribute.BOOLSLICE:
		return appendJSONArray(b, v.AsBoolSlice(), strconv.AppendBool), true
	case attribute.INT64SLICE:
		return appendJSONArray(b, v.AsInt64Slice(), appendJSONInt), true
	case attribute.FLOAT64SLICE:
		if fs := v.AsFloat64Slice(); allFiniteFloats(fs) {
			return appendJSONArray(b, fs, appendJSONFloat), true
		}
	case attribute.STRINGSLICE:
		return appendJSONArray(b, v.AsStringSlice(), appendJSONString), true
	case attribute.EMPTY:
		return b, false
	}
	return appendJSONString(b, v.String()), true
}
