package fakesentry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// Envelope is one envelope as sent by a Sentry SDK: a header and its items.
type Envelope struct {
	Header EnvelopeHeader
	Items  []Item
}

// EnvelopeHeader is the first line of an envelope.
type EnvelopeHeader struct {
	EventID string `json:"event_id"`
	SentAt  string `json:"sent_at"`
	DSN     string `json:"dsn"`
	// Trace is the Dynamic Sampling Context of the envelope's trace, keys
	// without the sentry- prefix. Sentry requires its values to be JSON
	// strings, so a number or a boolean there makes the envelope invalid.
	Trace map[string]string `json:"trace"`
}

// Item is one item of an envelope: its header and its raw payload.
type Item struct {
	Header  ItemHeader
	Payload []byte
}

// ItemHeader is the header line of an item. Length is nil when the SDK left
// it out; the payload then ends at the next newline.
type ItemHeader struct {
	Type   string `json:"type"`
	Length *int   `json:"length,omitempty"`
}

// Transaction is the part of a transaction event that the examples check.
type Transaction struct {
	EventID         string          `json:"event_id"`
	Type            string          `json:"type"`
	Name            string          `json:"transaction"`
	TransactionInfo TransactionInfo `json:"transaction_info"`
	StartTimestamp  Time            `json:"start_timestamp"`
	Timestamp       Time            `json:"timestamp"`
	Contexts        struct {
		Trace TraceContext `json:"trace"`
	} `json:"contexts"`
	Spans []Span `json:"spans"`

	// DSC is the trace header of the envelope that carried the
	// transaction. It is not part of the event's JSON.
	DSC map[string]string `json:"-"`
}

// TransactionInfo tells how a transaction's name was made.
type TransactionInfo struct {
	Source string `json:"source"`
}

// TraceContext is the contexts.trace of a transaction: its root span.
type TraceContext struct {
	TraceID      string         `json:"trace_id"`
	SpanID       string         `json:"span_id"`
	ParentSpanID string         `json:"parent_span_id"`
	Op           string         `json:"op"`
	Status       string         `json:"status"`
	Origin       string         `json:"origin"`
	Data         map[string]any `json:"data"`
}

// Span is one child span of a transaction.
type Span struct {
	TraceID        string         `json:"trace_id"`
	SpanID         string         `json:"span_id"`
	ParentSpanID   string         `json:"parent_span_id"`
	Op             string         `json:"op"`
	Description    string         `json:"description"`
	Status         string         `json:"status"`
	Origin         string         `json:"origin"`
	Data           map[string]any `json:"data"`
	StartTimestamp Time           `json:"start_timestamp"`
	Timestamp      Time           `json:"timestamp"`
}

// ParseEnvelope parses an envelope: a JSON header line, then items, each a
// JSON header line followed by a payload of the header's length, or, without
// a length, by a payload that runs to the next newline. A newline after the
// last item is optional.
func ParseEnvelope(data []byte) (Envelope, error) {
	var env Envelope
	line, rest, _ := bytes.Cut(data, []byte{'\n'})
	if err := json.Unmarshal(line, &env.Header); err != nil {
		return Envelope{}, fmt.Errorf("fakesentry: envelope header: %w", err)
	}
	for len(rest) > 0 {
		var header []byte
		header, rest, _ = bytes.Cut(rest, []byte{'\n'})
		if len(bytes.TrimSpace(header)) == 0 {
			continue // blank lines between or after items
		}
		item, tail, err := parseItem(header, rest)
		if err != nil {
			return Envelope{}, fmt.Errorf("fakesentry: item %d: %w", len(env.Items), err)
		}
		env.Items = append(env.Items, item)
		rest = tail
	}
	return env, nil
}

// errLength reports an item whose length does not match the bytes that follow.
var errLength = errors.New("payload length does not match the envelope")

// parseItem reads the item whose header line is header from the start of
// rest, and returns it with what follows it.
func parseItem(header, rest []byte) (Item, []byte, error) {
	var item Item
	if err := json.Unmarshal(header, &item.Header); err != nil {
		return Item{}, nil, fmt.Errorf("header: %w", err)
	}
	if item.Header.Length == nil {
		item.Payload, rest, _ = bytes.Cut(rest, []byte{'\n'})
		return item, rest, nil
	}
	n := *item.Header.Length
	if n < 0 || n > len(rest) {
		return Item{}, nil, fmt.Errorf("%w: length %d, %d bytes left", errLength, n, len(rest))
	}
	item.Payload, rest = rest[:n], rest[n:]
	if len(rest) > 0 {
		if rest[0] != '\n' {
			return Item{}, nil, fmt.Errorf("%w: no newline after %d bytes", errLength, n)
		}
		rest = rest[1:]
	}
	return item, rest, nil
}

// Transactions decodes the transaction items of the envelope, each with the
// envelope's DSC.
func (e Envelope) Transactions() ([]Transaction, error) {
	var txs []Transaction
	for _, it := range e.Items {
		if it.Header.Type != "transaction" {
			continue
		}
		var tx Transaction
		if err := json.Unmarshal(it.Payload, &tx); err != nil {
			return nil, fmt.Errorf("fakesentry: transaction: %w", err)
		}
		tx.DSC = e.Header.Trace
		txs = append(txs, tx)
	}
	return txs, nil
}

// Time is a timestamp of Sentry's event payloads: an RFC 3339 string, as
// sentry-go and otelsentry write it, or seconds since the epoch as a
// number, as Sentry's JavaScript SDK writes it.
type Time struct {
	time.Time
}

// UnmarshalJSON reads either form.
func (t *Time) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return t.Time.UnmarshalJSON(b)
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("fakesentry: timestamp %s: %w", b, err)
	}
	whole := math.Floor(secs)
	t.Time = time.Unix(int64(whole), int64((secs-whole)*1e9)).UTC()
	return nil
}

// StreamedSpan is one span of a span item ("type": "span", content type
// application/vnd.sentry.items.span.v2+json), what Sentry's SDKs send with
// span streaming instead of transactions.
type StreamedSpan struct {
	TraceID        string               `json:"trace_id"`
	SpanID         string               `json:"span_id"`
	ParentSpanID   string               `json:"parent_span_id"`
	Name           string               `json:"name"`
	Status         string               `json:"status"`
	IsSegment      bool                 `json:"is_segment"`
	StartTimestamp Time                 `json:"start_timestamp"`
	EndTimestamp   Time                 `json:"end_timestamp"`
	Attributes     map[string]Attribute `json:"attributes"`

	// DSC is the trace header of the envelope that carried the span.
	DSC map[string]string `json:"-"`
}

// Attribute is a typed attribute of a streamed span.
type Attribute struct {
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// Op returns the span's sentry.op attribute.
func (s StreamedSpan) Op() string {
	v, _ := s.Attributes["sentry.op"].Value.(string)
	return v
}

// StreamedSpans decodes the span items of the envelope, each span with the
// envelope's DSC.
func (e Envelope) StreamedSpans() ([]StreamedSpan, error) {
	var spans []StreamedSpan
	for _, it := range e.Items {
		if it.Header.Type != "span" {
			continue
		}
		var payload struct {
			Items []StreamedSpan `json:"items"`
		}
		if err := json.Unmarshal(it.Payload, &payload); err != nil {
			return nil, fmt.Errorf("fakesentry: span item: %w", err)
		}
		for _, s := range payload.Items {
			s.DSC = e.Header.Trace
			spans = append(spans, s)
		}
	}
	return spans, nil
}
