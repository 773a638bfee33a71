package fakesentry

import (
	"errors"
	"testing"
)

func TestParseEnvelope(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantTypes []string
		payloads  []string
		trace     map[string]string
	}{
		{
			name: "header only",
			in:   `{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}` + "\n",
		},
		{
			name:      "item with length",
			in:        `{}` + "\n" + `{"type":"transaction","length":10}` + "\n" + `{"a":"b"}` + "\n" + "\n",
			wantTypes: []string{"transaction"},
			payloads:  []string{`{"a":"b"}` + "\n"},
		},
		{
			name:      "item without length",
			in:        `{}` + "\n" + `{"type":"event"}` + "\n" + `{"a":1}` + "\n",
			wantTypes: []string{"event"},
			payloads:  []string{`{"a":1}`},
		},
		{
			name:      "no newline at the end",
			in:        `{}` + "\n" + `{"type":"event","length":2}` + "\n" + `{}`,
			wantTypes: []string{"event"},
			payloads:  []string{`{}`},
		},
		{
			name: "two items and the trace header",
			in: `{"trace":{"trace_id":"771a43a4192642f0b136d5159a501700","sample_rate":"0.25"}}` + "\n" +
				`{"type":"transaction","length":2}` + "\n" + `{}` + "\n" +
				`{"type":"client_report"}` + "\n" + `{"discarded_events":[]}` + "\n",
			wantTypes: []string{"transaction", "client_report"},
			payloads:  []string{`{}`, `{"discarded_events":[]}`},
			trace:     map[string]string{"trace_id": "771a43a4192642f0b136d5159a501700", "sample_rate": "0.25"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := ParseEnvelope([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(env.Items) != len(tt.wantTypes) {
				t.Fatalf("got %d items, want %d", len(env.Items), len(tt.wantTypes))
			}
			for i, it := range env.Items {
				if it.Header.Type != tt.wantTypes[i] || string(it.Payload) != tt.payloads[i] {
					t.Errorf("item %d = %q %q, want %q %q", i, it.Header.Type, it.Payload, tt.wantTypes[i], tt.payloads[i])
				}
			}
			for k, v := range tt.trace {
				if env.Header.Trace[k] != v {
					t.Errorf("trace[%s] = %q, want %q", k, env.Header.Trace[k], v)
				}
			}
		})
	}
}

func TestParseEnvelopeRejects(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantLength bool // the error is errLength
	}{
		{name: "empty", in: ""},
		{name: "header not JSON", in: "event_id\n"},
		{name: "DSC value not a string", in: `{"trace":{"sample_rate":0.25}}` + "\n"},
		{name: "item header not JSON", in: "{}\n{type}\n{}\n"},
		{name: "length past the end", in: `{}` + "\n" + `{"type":"event","length":99}` + "\n{}\n", wantLength: true},
		{name: "negative length", in: `{}` + "\n" + `{"type":"event","length":-1}` + "\n{}\n", wantLength: true},
		{name: "length too short", in: `{}` + "\n" + `{"type":"event","length":1}` + "\n{}\n", wantLength: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEnvelope([]byte(tt.in))
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, errLength); got != tt.wantLength {
				t.Errorf("errors.Is(%v, errLength) = %v, want %v", err, got, tt.wantLength)
			}
		})
	}
}

func TestEnvelopeTransactions(t *testing.T) {
	in := `{"trace":{"trace_id":"771a43a4192642f0b136d5159a501700"}}` + "\n" +
		`{"type":"event"}` + "\n" + `{"message":"not a transaction"}` + "\n" +
		`{"type":"transaction"}` + "\n" +
		`{"type":"transaction","transaction":"GET /users/:id","transaction_info":{"source":"route"},` +
		`"contexts":{"trace":{"op":"http.server","span_id":"b7ad6b7169203331"}},` +
		`"spans":[{"op":"db","description":"SELECT 1"}]}` + "\n"
	env, err := ParseEnvelope([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	txs, err := env.Transactions()
	if err != nil {
		t.Fatal(err)
	}
	if len(txs) != 1 {
		t.Fatalf("got %d transactions, want 1", len(txs))
	}
	tx := txs[0]
	if tx.Name != "GET /users/:id" || tx.TransactionInfo.Source != "route" || tx.Contexts.Trace.Op != "http.server" ||
		len(tx.Spans) != 1 || tx.Spans[0].Description != "SELECT 1" || tx.DSC["trace_id"] != "771a43a4192642f0b136d5159a501700" {
		t.Errorf("unexpected transaction %+v", tx)
	}
}
