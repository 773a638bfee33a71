package otelsentry

import (
	"math"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Keys spanDataFrom adds to a span's data besides its attributes.
const (
	dataOTelKind         = "otel.kind"
	dataOTelScopeName    = "otel.scope.name"
	dataOTelScopeVersion = "otel.scope.version"
)

// dataOptions say what spanDataFrom adds besides the attributes, and what
// of those it keeps.
type dataOptions struct {
	// withScope adds the instrumentation scope: a child span from the same
	// scope as its transaction leaves it to the transaction.
	withScope bool
	// privacy filters the attributes as the client collects data: see
	// privacy. Its zero value keeps every attribute.
	privacy privacy
}

// spanDataFrom puts attrs, the attributes of the span s, into the Sentry
// data map dst, filtered by o.privacy, and returns dst; when dst is nil a map sized
// for the span is made. Values become plain Go values (see plainValue);
// empty values are left out.
//
// It also adds otel.kind, otel.scope.name and otel.scope.version (the last
// two when not empty), and the keys Sentry's insights read when the span
// carries only the older semantic-convention key:
//
//   - queue spans (with messaging.system): messaging.destination.name,
//     messaging.message.id and messaging.message.body.size (from
//     messaging.message.payload_size_bytes or
//     messaging.message_payload_size_bytes). messaging.message.retry.count
//     and messaging.message.receive.latency (milliseconds) are Sentry's own
//     keys and pass through as the span recorded them.
//   - HTTP client spans: http.response.status_code from http.status_code.
//   - database spans: db.system from db.system.name.
func spanDataFrom(s sdktrace.ReadOnlySpan, attrs []attribute.KeyValue, o dataOptions, dst map[string]any) map[string]any {
	if dst == nil {
		n := len(attrs) + 1
		if o.withScope {
			n += 2
		}
		dst = make(map[string]any, n)
	}
	for _, kv := range attrs {
		value, ok := o.privacy.value(kv)
		if !ok {
			continue
		}
		if v, ok := plainValue(value); ok {
			dst[string(kv.Key)] = v
		}
	}
	kind := s.SpanKind()
	dst[dataOTelKind] = kindValue(kind)
	if scope := s.InstrumentationScope(); o.withScope && scope.Name != "" {
		dst[dataOTelScopeName] = scope.Name
		if scope.Version != "" {
			dst[dataOTelScopeVersion] = scope.Version
		}
	}
	addInsightKeys(dst, kind)
	return dst
}

// kindValues holds the span kinds' names already boxed, so that setting
// otel.kind does not allocate.
var kindValues = [...]any{
	trace.SpanKindUnspecified: trace.SpanKindUnspecified.String(),
	trace.SpanKindInternal:    trace.SpanKindInternal.String(),
	trace.SpanKindServer:      trace.SpanKindServer.String(),
	trace.SpanKindClient:      trace.SpanKindClient.String(),
	trace.SpanKindProducer:    trace.SpanKindProducer.String(),
	trace.SpanKindConsumer:    trace.SpanKindConsumer.String(),
}

func kindValue(k trace.SpanKind) any {
	if int(k) >= 0 && int(k) < len(kindValues) {
		return kindValues[k]
	}
	return k.String()
}

// The attributes that insightAliases names, as indexes into insightKeys.
const (
	insMessagingSystem = iota
	insDestinationName
	insDestination
	insMessageID
	insMessageIDOld
	insBodySize
	insPayloadSize
	insPayloadSizeOld
	insHTTPResponseStatusCode
	insHTTPStatusCode
	insDBSystem
	insDBSystemName
	insKeys
)

// insightKeys are the keys of the attributes insightAliases names.
var insightKeys = [insKeys]string{
	insMessagingSystem:        keyMessagingSystem,
	insDestinationName:        keyMessagingDestinationName,
	insDestination:            keyMessagingDestination,
	insMessageID:              keyMessagingMessageID,
	insMessageIDOld:           keyMessagingMessageIDOld,
	insBodySize:               keyMessagingBodySize,
	insPayloadSize:            keyMessagingPayloadSize,
	insPayloadSizeOld:         keyMessagingPayloadSizeOld,
	insHTTPResponseStatusCode: keyHTTPResponseStatusCode,
	insHTTPStatusCode:         keyHTTPStatusCode,
	insDBSystem:               keyDBSystem,
	insDBSystemName:           keyDBSystemName,
}

// insightAlias is a key Sentry's insights read that a span may have
// recorded only under older semantic-convention keys: the value of the
// first of from present is copied under key, when key itself is absent.
type insightAlias struct {
	key       int
	from      []int
	messaging bool // only on spans with messaging.system
	client    bool // only on client spans
}

// insightAliases are the aliases a span's data gets, on the way through
// sentry-go (addInsightKeys) and through the encoder (appendAliases) alike.
var insightAliases = [...]insightAlias{
	{key: insDestinationName, from: []int{insDestination}, messaging: true},
	{key: insMessageID, from: []int{insMessageIDOld}, messaging: true},
	{key: insBodySize, from: []int{insPayloadSize, insPayloadSizeOld}, messaging: true},
	{key: insHTTPResponseStatusCode, from: []int{insHTTPStatusCode}, client: true},
	{key: insDBSystem, from: []int{insDBSystemName}},
}

// applies reports whether a applies to a span of kind, with messaging.system
// or not.
func (a *insightAlias) applies(messaging bool, kind trace.SpanKind) bool {
	return (!a.messaging || messaging) && (!a.client || kind == trace.SpanKindClient)
}

// addInsightKeys copies into dst, under the key Sentry's insights read, a
// value the span recorded only under another semantic-convention key.
func addInsightKeys(dst map[string]any, kind trace.SpanKind) {
	_, messaging := dst[keyMessagingSystem]
	for i := range insightAliases {
		a := &insightAliases[i]
		if !a.applies(messaging, kind) {
			continue
		}
		if _, ok := dst[insightKeys[a.key]]; ok {
			continue
		}
		for _, f := range a.from {
			if v, ok := dst[insightKeys[f]]; ok {
				dst[insightKeys[a.key]] = v
				break
			}
		}
	}
}

// resourceData returns the attributes of r as a Sentry data map (for
// contexts.otel.resource), with values converted by plainValue. It returns
// nil for a nil or empty resource.
func resourceData(r *resource.Resource) map[string]any {
	if r.Len() == 0 {
		return nil
	}
	m := make(map[string]any, r.Len())
	for it := r.Iter(); it.Next(); {
		kv := it.Attribute()
		if v, ok := plainValue(kv.Value); ok {
			m[string(kv.Key)] = v
		}
	}
	return m
}

// plainValue returns v as a value encoding/json can encode the way Sentry
// expects: a string, bool, int64 or float64, or a slice of one of those.
// Byte slices, heterogeneous slices, maps, and floats JSON cannot hold
// (NaN, ±Inf) become their OpenTelemetry string form. It reports false for
// an empty value.
func plainValue(v attribute.Value) (any, bool) {
	switch v.Type() {
	case attribute.BOOL:
		return v.AsBool(), true
	case attribute.INT64:
		return v.AsInt64(), true
	case attribute.FLOAT64:
		if f := v.AsFloat64(); finiteFloat(f) {
			return f, true
		}
	case attribute.STRING:
		return v.AsString(), true
	case attribute.BOOLSLICE:
		return v.AsBoolSlice(), true
	case attribute.INT64SLICE:
		return v.AsInt64Slice(), true
	case attribute.FLOAT64SLICE:
		if fs := v.AsFloat64Slice(); allFiniteFloats(fs) {
			return fs, true
		}
	case attribute.STRINGSLICE:
		return v.AsStringSlice(), true
	case attribute.EMPTY:
		return nil, false
	}
	return v.String(), true
}

// finiteFloat reports whether f is neither NaN nor infinite.
func finiteFloat(f float64) bool {
	return !math.IsNaN(f) && !math.IsInf(f, 0)
}

// allFiniteFloats reports whether every element of fs is finite.
func allFiniteFloats(fs []float64) bool {
	for _, f := range fs {
		if !finiteFloat(f) {
			return false
		}
	}
	return true
}
