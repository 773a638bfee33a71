package otelsentry

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
)

// FuzzJSONString checks that any string, valid UTF-8 or not, encodes to a
// JSON string that encoding/json reads back as encoding/json itself would
// encode it: invalid bytes as U+FFFD, everything else unchanged.
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\\n\r\t\x00\x1f\x7f", "é\u2028\u2029<>&", "\xff\xfe", "a\xc3", strings.Repeat("x", 5000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q encodes to invalid JSON %q: %v", s, b, err)
		}
		want, _ := json.Marshal(s)
		var wantS string
		_ = json.Unmarshal(want, &wantS)
		if got != wantS {
			t.Fatalf("%q came back as %q, want %q", s, got, wantS)
		}
	})
}

// TestPlainPrefix puts every byte value at every position of the first
// two words of a plain string, and once more after an earlier special byte:
// the word-at-a-time scan must stop exactly where a byte needs a look.
func TestPlainPrefix(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 19; pos++ {
			b := []byte(strings.Repeat("a", 19))
			b[pos] = byte(c)
			want := 19
			if !jsonPlain[c] {
				want = pos
			}
			if got := plainPrefix(string(b)); got != want {
				t.Fatalf("byte %#x at %d: plainPrefix = %d, want %d", c, pos, got, want)
			}
			if pos > 0 {
				b[pos-1] = '"'
				if got := plainPrefix(string(b)); got != pos-1 {
					t.Fatalf("quote at %d, byte %#x after it: plainPrefix = %d", pos-1, c, got)
				}
			}
		}
	}
}

// TestJSONValues checks every attribute type, NaN and infinities, and
// timestamps against encoding/json's reading of them.
func TestJSONValues(t *testing.T) {
	tests := []struct {
		v    attribute.Value
		want any
	}{
		{attribute.BoolValue(true), true},
		{attribute.Int64Value(math.MinInt64), float64(math.MinInt64)},
		{attribute.Float64Value(1.5), 1.5},
		{attribute.Float64Value(1e300), 1e300},
		{attribute.Float64Value(-5e-324), -5e-324},
		{attribute.Float64Value(math.NaN()), "NaN"},
		{attribute.Float64Value(math.Inf(1)), "Infinity"},
		{attribute.StringValue("a\"b"), "a\"b"},
		{attribute.BoolSliceValue([]bool{true, false}), []any{true, false}},
		{attribute.Int64SliceValue([]int64{1, -2}), []any{1.0, -2.0}},
		{attribute.Float64SliceValue([]float64{0.5, 2}), []any{0.5, 2.0}},
		{attribute.Float64SliceValue([]float64{1, math.NaN()}), "[1,\"NaN\"]"},
		{attribute.StringSliceValue([]string{"a", "\xff"}), []any{"a", "\ufffd"}},
	}
	for _, tt := range tests {
		b, ok := appendAttrValue(nil, tt.v)
		if !ok {
			t.Fatalf("%v left out", tt.v)
		}
		var got any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%v encodes to invalid JSON %q: %v", tt.v, b, err)
		}
		gs, _ := json.Marshal(got)
		ws, _ := json.Marshal(tt.want)
		if string(gs) != string(ws) {
			t.Errorf("%v: got %s, want %s", tt.v, gs, ws)
		}
	}
	if _, ok := appendAttrValue(nil, attribute.Value{}); ok {
		t.Error("an empty value was written")
	}
	var e txEncoder
	for _, ts := range []time.Time{time.Unix(0, 0), time.Date(2026, 11, 30, 13, 1, 2, 120, time.FixedZone("x", 3600)), time.Date(1999, 1, 1, 0, 0, 59, 999999999, time.UTC)} {
		var got time.Time
		if err := json.Unmarshal(e.appendTime(nil, ts), &got); err != nil || !got.Equal(ts) {
			t.Errorf("%v came back as %v (%v)", ts, got, err)
		}
	}
}
