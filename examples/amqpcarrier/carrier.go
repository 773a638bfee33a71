package amqpcarrier

import (
	"context"
	"maps"
	"slices"

	amqp "github.com/rabbitmq/amqp091-go"
	"go.opentelemetry.io/otel/propagation"
)

// Carrier adapts the headers of an AMQP 0-9-1 message to
// propagation.TextMapCarrier.
//
// Header names are case-sensitive in AMQP and used as given: propagators
// write lower-case names (traceparent, sentry-trace, baggage). Values are
// written as strings; a value that arrives as a string or as a byte array
// (some clients send long strings as bytes) is read, any other type is
// treated as absent.
//
// Set panics on a nil Carrier, as writing to a nil map does; [Inject]
// allocates the table when needed.
type Carrier amqp.Table

var _ propagation.TextMapCarrier = Carrier(nil)

// Get returns the value of the header key, or "" when it is absent or not a
// string or byte array.
func (c Carrier) Get(key string) string {
	switch v := c[key].(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return ""
}

// Set stores value under the header key, replacing any previous value.
func (c Carrier) Set(key, value string) {
	c[key] = value
}

// Keys returns the names of all headers, sorted.
func (c Carrier) Keys() []string {
	return slices.Sorted(maps.Keys(c))
}

// Inject writes the trace context of ctx into headers with prop and returns
// the headers. When headers is nil a new table is allocated and returned, so
// assign the result:
//
//	msg.Headers = amqpcarrier.Inject(ctx, prop, msg.Headers)
func Inject(ctx context.Context, prop propagation.TextMapPropagator, headers amqp.Table) amqp.Table {
	if headers == nil {
		headers = make(amqp.Table, len(prop.Fields()))
	}
	prop.Inject(ctx, Carrier(headers))
	return headers
}

// Extract returns ctx with the trace context that prop reads from headers.
// Headers that carry no trace leave ctx unchanged; a nil table is fine.
func Extract(ctx context.Context, prop propagation.TextMapPropagator, headers amqp.Table) context.Context {
	return prop.Extract(ctx, Carrier(headers))
}
