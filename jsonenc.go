package otelsentry

import (
	"math"
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
	i := 0
	for i < len(s) && jsonPlain[s[i]] {
		i++
	}
	if i == len(s) {
		b = append(b, s...)
		return append(b, '"')
	}
	b = append(b, s[:i]...)
	return append(appendJSONEscaped(b, s[i:]), '"')
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
				b = append(b, '\\', 'u', '0', '0', lowerHex[c>>4], lowerHex[c&0xf])
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
			b = append(b, '\\', 'u', '2', '0', '2', lowerHex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

const lowerHex = "0123456789abcdef"

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
	b = append(b, '"')
	for _, c := range id {
		b = append(b, lowerHex[c>>4], lowerHex[c&0xf])
	}
	return append(b, '"')
}

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
		b = append(b, '[')
		for i, x := range v.AsBoolSlice() {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendBool(b, x)
		}
		return append(b, ']'), true
	case attribute.INT64SLICE:
		b = append(b, '[')
		for i, x := range v.AsInt64Slice() {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, x, 10)
		}
		return append(b, ']'), true
	case attribute.FLOAT64SLICE:
		fs := v.AsFloat64Slice()
		if !allFiniteFloats(fs) {
			break
		}
		b = append(b, '[')
		for i, x := range fs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONFloat(b, x)
		}
		return append(b, ']'), true
	case attribute.STRINGSLICE:
		b = append(b, '[')
		for i, x := range v.AsStringSlice() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, x)
		}
		return append(b, ']'), true
	case attribute.EMPTY:
		return b, false
	}
	return appendJSONString(b, v.String()), true
}
