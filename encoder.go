package otelsentry

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"
)

// txEncoder writes transactions as Sentry envelopes straight from span
// views, into a buffer it reuses, and hands each envelope out in a slice of
// its exact size: no sentry.Event, sentry.Span or map is built for the
// spans, and nothing is encoded twice. It writes what the
// sentry-go path (buildTransaction, then sentry-go's client and scope)
// sends, which the differential test in encoder_oracle_test.go checks. One
// encoder belongs to the worker goroutine.
type txEncoder struct {
	scratch []byte // the envelope being written
	// buffer returns an empty buffer for a finished envelope, or nil to
	// allocate one.
	buffer func() []byte

	lastSec int64  // the second of secText
	secText []byte // lastSec as RFC 3339, to the second

	resource     *resource.Resource // the last resource encoded
	resourceJSON []byte
}

// encodedTx is one transaction's envelope and what it holds.
type encodedTx struct {
	envelope []byte
	spans    int // spans in it, the transaction's own included
	// overBudget counts the children left out to keep the item under
	// Sentry's size limit.
	overBudget int
}

// txInput is what encoding one transaction needs.
type txInput struct {
	root     spanView
	rootAttr *spanAttrs
	mapping  spanMapping
	children []childView // in start order, Sentry uploads left out
	followUp bool
	resource *resource.Resource
	info     *clientInfo
	wire     *wireClient
	scope    *scopeParts
	dsc      envelopeDSC
}

// childView is a child span with its attributes read for the mapping.
type childView struct {
	v spanView
	a spanAttrs
}

// scopeParts is what a hub's scope adds to a transaction, as sentry-go's
// Scope.ApplyToEvent sets it: tags, user, request, fingerprint, level and
// contexts.
type scopeParts struct {
	tags        map[string]string
	user        []byte // JSON; nil when empty
	request     []byte // JSON; nil when none
	fingerprint []string
	level       sentry.Level
	contexts    map[string]sentry.Context // without trace and otel
}

// scopeApplier applies scopes to transactions. It belongs to the worker and
// reuses its event and maps: what apply returns is valid until the next
// call.
type scopeApplier struct {
	ev       sentry.Event
	evCtx    map[string]sentry.Context
	evTags   map[string]string
	parts    scopeParts
	contexts map[string]sentry.Context
}

// apply applies the scope to an empty transaction, as sentry-go does to
// each event it captures with it, and returns what it set. It returns nil
// when one of the scope's event processors dropped the transaction.
func (a *scopeApplier) apply(scope *sentry.Scope, c *sentry.Client) *scopeParts {
	// Without a client, ApplyToEvent skips building a DSC this package does
	// not use; the client only matters to the request, filtered by its
	// DataCollection, so a scope with a request is applied again with it.
	ev := a.applyWith(scope, nil)
	if ev != nil && ev.Request != nil {
		ev = a.applyWith(scope, c)
	}
	if ev == nil {
		return nil
	}
	p := &a.parts
	*p = scopeParts{tags: ev.Tags, fingerprint: ev.Fingerprint, level: ev.Level}
	if !ev.User.IsEmpty() {
		p.user, _ = json.Marshal(ev.User)
	}
	if ev.Request != nil {
		p.request, _ = json.Marshal(ev.Request)
	}
	clear(a.contexts)
	for k, v := range ev.Contexts {
		if k == "trace" || k == "otel" {
			continue
		}
		if a.contexts == nil {
			a.contexts = make(map[string]sentry.Context, len(ev.Contexts))
		}
		a.contexts[k] = v
		p.contexts = a.contexts
	}
	return p
}

// applyWith applies the scope to the applier's event, emptied first.
func (a *scopeApplier) applyWith(scope *sentry.Scope, c *sentry.Client) *sentry.Event {
	if a.evCtx == nil {
		a.evCtx = make(map[string]sentry.Context, 4)
		a.evTags = make(map[string]string, 4)
	}
	clear(a.evCtx)
	clear(a.evTags)
	// A context of this name on the event keeps the scope's out of it, as
	// the processor's own otel context does on sentry-go's way.
	a.evCtx["otel"] = nil
	a.ev = sentry.Event{Type: "transaction", Contexts: a.evCtx, Tags: a.evTags}
	return scope.ApplyToEvent(&a.ev, nil, c)
}

// encode writes the envelope of one transaction. sentAt is the envelope's
// send time.
func (e *txEncoder) encode(in *txInput, sentAt time.Time) encodedTx {
	var eventID [16]byte
	putRandom(eventID[:])
	out := encodedTx{spans: 1}

	b := e.scratch[:0]
	b = append(b, `{"event_id":`...)
	b = appendJSONHex(b, eventID[:])
	b = append(b, `,"sent_at":`...)
	b = e.appendTime(b, sentAt)
	b = append(append(b, ','), in.wire.envelopeHead...)
	switch {
	case in.dsc.head:
		b = append(b, `,"trace":`...)
		b = appendHeadDSC(b, in.dsc.sc, in.info)
	case in.dsc.frozen.Len() > 0:
		b = append(b, `,"trace":`...)
		b = appendDSC(b, in.dsc.frozen)
	}
	b = append(b, "}\n"...)
	// The item header, whose length is known once the payload is written,
	// goes in front of it then.
	payloadStart := len(b)

	b = append(b, `{"event_id":`...)
	b = appendJSONHex(b, eventID[:])
	b = append(b, `,"type":"transaction",`...)
	b = append(b, in.wire.static...)
	level := in.scope.level
	if level == "" {
		level = sentry.LevelInfo
	}
	b = append(appendJSONString(appendJSONKey(b, "level"), string(level)), ',')
	b = appendJSONString(appendJSONKey(b, "transaction"), in.mapping.name)
	b = append(b, `,"transaction_info":{"source":`...)
	b = appendJSONString(b, string(in.mapping.source))
	b = append(b, `},"start_timestamp":`...)
	b = e.appendTime(b, in.root.start)
	b = append(b, `,"timestamp":`...)
	b = e.appendTime(b, in.root.end)
	b = e.appendTags(b, in)
	if in.scope.user != nil {
		b = append(append(b, `,"user":`...), in.scope.user...)
	}
	if in.scope.request != nil {
		b = append(append(b, `,"request":`...), in.scope.request...)
	}
	if len(in.scope.fingerprint) > 0 {
		b = appendJSONArray(append(b, `,"fingerprint":`...), in.scope.fingerprint, appendJSONString)
	}
	b = append(b, `,"contexts":{"trace":`...)
	b = e.appendTraceContext(b, in)
	b = append(b, `,"otel":{"resource":`...)
	b = append(b, e.resourceOf(in.resource)...)
	b = append(b, '}')
	b = appendEnvironmentContexts(b, in.wire, in.scope.contexts)
	b = append(b, '}')

	if len(in.children) > 0 {
		b = append(b, `,"spans":[`...)
		// What follows the last span: "]}".
		limit := payloadStart + maxTransactionBytes - 2
		for i := range in.children {
			mark := len(b)
			if i > 0 {
				b = append(b, ',')
			}
			b = e.appendSpan(b, &in.children[i], in)
			if len(b) > limit {
				b = b[:mark]
				out.overBudget = len(in.children) - i
				break
			}
			out.spans++
		}
		b = append(b, ']')
	}
	b = append(b, '}')

	// The envelope leaves in a buffer of its own, which the sender's
	// request owns until the transport is done with it. The item header's
	// length has at most 7 digits under Sentry's 1 MB limit.
	var hdr [len(`{"type":"transaction","length":1234567}` + "\n")]byte
	h := append(hdr[:0], `{"type":"transaction","length":`...)
	h = strconv.AppendInt(h, int64(len(b)-payloadStart), 10)
	h = append(h, "}\n"...)
	var env []byte
	if e.buffer != nil {
		env = e.buffer()
	}
	if n := len(b) + len(h) + 1; cap(env) < n {
		// bytes.Join does not clear the memory it copies into.
		env = bytes.Join([][]byte{b[:payloadStart], h, b[payloadStart:], newline}, nil)
	} else {
		env = append(append(append(append(env, b[:payloadStart]...), h...), b[payloadStart:]...), '\n')
	}
	out.envelope = env
	if cap(b) <= maxScratch {
		e.scratch = b[:0]
	}
	return out
}

// maxScratch bounds the buffer an encoder keeps between envelopes; a rare
// larger transaction gets a buffer of its own.
const maxScratch = 64 << 10

var newline = []byte{'\n'}

// appendTime writes t as appendJSONTime does, reusing the formatted second
// of the last time written: the timestamps of a transaction share a few.
func (e *txEncoder) appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	sec := t.Unix()
	if sec != e.lastSec || len(e.secText) == 0 {
		e.lastSec = sec
		e.secText = t.AppendFormat(e.secText[:0], "2006-01-02T15:04:05")
	}
	b = append(b, '"')
	b = append(b, e.secText...)
	if ns := t.Nanosecond(); ns != 0 {
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i >= 1; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for frac[n-1] == '0' {
			n--
		}
		b = append(b, frac[:n]...)
	}
	return append(b, 'Z', '"')
}

// appendTags writes the tags member: the scope's, then the client's Tags
// and SENTRY_TAGS_ variables where the scope has none of the key, as
// sentry-go's GlobalTags integration adds them. A span's tags is left out.
func (e *txEncoder) appendTags(b []byte, in *txInput) []byte {
	if len(in.scope.tags) == 0 && len(in.wire.tags) == 0 {
		return b
	}
	tags := in.scope.tags
	if len(in.wire.tags) > 0 {
		tags = make(map[string]string, len(in.scope.tags)+len(in.wire.tags))
		for k, v := range in.wire.tags {
			tags[k] = v
		}
		for k, v := range in.scope.tags {
			tags[k] = v
		}
	}
	return appendStringMap(append(b, `,"tags":`...), tags)
}

// appendEnvironmentContexts writes the device, os and runtime contexts that
// sentry-go's Environment integration adds, and the scope's contexts, each
// led by a comma. A scope context of one of those three names gets the
// integration's values for the keys it lacks, as in sentry-go.
func appendEnvironmentContexts(b []byte, w *wireClient, scope map[string]sentry.Context) []byte {
	if len(scope) == 0 {
		b = append(b, w.deviceOS...)
		b = append(b, w.runtimeHead...)
		for _, c := range runtimeCounts() {
			b = strconv.AppendInt(appendJSONKey(append(b, ','), c.key), c.value, 10)
		}
		return append(b, '}')
	}
	device, osCtx, rt := staticEnvironment()
	for _, c := range runtimeCounts() {
		rt[c.key] = c.value
	}
	merged := make(map[string]any, len(scope)+3)
	for k, v := range scope {
		merged[k] = v
	}
	merged["device"] = withDefaults(scope["device"], device)
	merged["os"] = withDefaults(scope["os"], osCtx)
	merged["runtime"] = withDefaults(scope["runtime"], rt)
	keys := make([]string, 0, len(merged))
	for k := range merged {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, err := json.Marshal(merged[k]) // the user's own values: any type
		if err != nil {
			continue
		}
		b = append(appendJSONKey(append(b, ','), k), v...)
	}
	return b
}

// staticEnvironment returns the members of the device, os and runtime
// contexts of sentry-go's Environment integration that do not change while
// the process runs.
func staticEnvironment() (device, os, rt map[string]any) {
	return map[string]any{"arch": runtime.GOARCH, "num_cpu": runtime.NumCPU()},
		map[string]any{"name": runtime.GOOS},
		map[string]any{"name": "go", "version": runtime.Version()}
}

// runtimeCount is a member of the runtime context read per event.
type runtimeCount struct {
	key   string
	value int64
}

// runtimeCounts returns the members of the runtime context that sentry-go's
// Environment integration reads for each event.
func runtimeCounts() [3]runtimeCount {
	return [3]runtimeCount{
		{"go_numroutines", int64(runtime.NumGoroutine())},
		{"go_maxprocs", int64(runtime.GOMAXPROCS(0))},
		{"go_numcgocalls", runtime.NumCgoCall()},
	}
}

// withDefaults returns a copy of c with the defaults it lacks.
func withDefaults(c sentry.Context, defaults map[string]any) map[string]any {
	m := make(map[string]any, len(c)+len(defaults))
	for k, v := range defaults {
		m[k] = v
	}
	for k, v := range c {
		m[k] = v
	}
	return m
}

// resourceOf returns the JSON of the resource's attributes (null for none),
// reusing the last one: a TracerProvider has one resource.
func (e *txEncoder) resourceOf(r *resource.Resource) []byte {
	if r == e.resource && e.resourceJSON != nil {
		return e.resourceJSON
	}
	e.resource = r
	if r.Len() == 0 {
		e.resourceJSON = []byte("null")
		return e.resourceJSON
	}
	attrs := r.Attributes() // sorted by key, unique
	e.resourceJSON = appendAttrObject(nil, attrs)
	return e.resourceJSON
}

// appendAttrObject writes attributes as a JSON object, as plainValue
// converts them; empty values are left out.
func appendAttrObject(b []byte, attrs []attribute.KeyValue) []byte {
	b = append(b, '{')
	first := true
	for _, kv := range attrs {
		mark := len(b)
		if !first {
			b = append(b, ',')
		}
		b = appendJSONKey(b, string(kv.Key))
		var ok bool
		if b, ok = appendAttrValue(b, kv.Value); !ok {
			b = b[:mark]
			continue
		}
		first = false
	}
	return append(b, '}')
}

// appendTraceContext writes contexts.trace of the transaction.
func (e *txEncoder) appendTraceContext(b []byte, in *txInput) []byte {
	root := &in.root
	tid, sid := root.sc.TraceID(), root.sc.SpanID()
	b = append(b, `{"trace_id":`...)
	b = appendJSONHex(b, tid[:])
	b = append(b, `,"span_id":`...)
	b = appendJSONHex(b, sid[:])
	if root.parent.IsValid() {
		psid := root.parent.SpanID()
		b = append(b, `,"parent_span_id":`...)
		b = appendJSONHex(b, psid[:])
	}
	b = append(b, `,"op":`...)
	b = appendJSONString(b, in.mapping.op)
	b = append(b, `,"status":`...)
	b = append(b, statusJSON(statusFrom(root.status, root.desc, in.rootAttr))...)
	b = append(b, `,"origin":"auto.otel","data":`...)
	// The transaction names its scope: it is compared with none.
	o := dataOptions{withScope: root.scope.Name != "" || root.scope.Version != "", privacy: in.info.privacy}
	b = e.appendData(b, root, o, in.followUp)
	if len(root.links) > 0 {
		if l := appendLinks(nil, root.links); l != nil {
			b = append(append(b, `,"links":`...), l...)
		}
	}
	return append(b, '}')
}

// appendSpan writes one child span.
func (e *txEncoder) appendSpan(b []byte, c *childView, in *txInput) []byte {
	s, a := &c.v, &c.a
	m := mapFrom(s.name, s.kind, a)
	tid, sid, psid := s.sc.TraceID(), s.sc.SpanID(), s.parent.SpanID()
	b = append(b, `{"trace_id":`...)
	b = appendJSONHex(b, tid[:])
	b = append(b, `,"span_id":`...)
	b = appendJSONHex(b, sid[:])
	if psid.IsValid() {
		b = append(b, `,"parent_span_id":`...)
		b = appendJSONHex(b, psid[:])
	}
	if m.op != "" {
		b = append(b, `,"op":`...)
		b = appendJSONString(b, m.op)
	}
	if m.description != "" {
		b = append(b, `,"description":`...)
		b = appendJSONString(b, m.description)
	}
	if st := statusFrom(s.status, s.desc, a); st != sentry.SpanStatusUndefined {
		b = append(b, `,"status":`...)
		b = append(b, statusJSON(st)...)
	}
	b = append(b, `,"start_timestamp":`...)
	b = e.appendTime(b, s.start)
	b = append(b, `,"timestamp":`...)
	b = e.appendTime(b, s.end)
	o := dataOptions{
		withScope: s.scope.Name != in.root.scope.Name || s.scope.Version != in.root.scope.Version,
		privacy:   in.info.privacy,
	}
	b = append(b, `,"data":`...)
	b = e.appendData(b, s, o, false)
	return append(b, `,"origin":"auto.otel"}`...)
}

// statusJSONs holds sentry-go's JSON of each span status: it writes
// unknown_error as "unknown", and nothing for an undefined status.
var statusJSONs = func() (t [32][]byte) {
	for i := range t {
		b, err := sentry.SpanStatus(i).MarshalJSON()
		if err == nil {
			t[i] = b
		}
	}
	return t
}()

func statusJSON(s sentry.SpanStatus) []byte {
	if int(s) < len(statusJSONs) && statusJSONs[s] != nil {
		return statusJSONs[s]
	}
	return []byte("null")
}

// ownDataKey reports whether appendData sets the key k itself for s: an
// attribute of that key gives way, as it does in spanDataFrom's map.
func (s *spanView) ownDataKey(k attribute.Key, o dataOptions, followUp bool) bool {
	switch k {
	case dataOTelKind:
		return true
	case dataOTelScopeName:
		return o.withScope && s.scope.Name != ""
	case dataOTelScopeVersion:
		return o.withScope && s.scope.Name != "" && s.scope.Version != ""
	case dataLinks:
		return s.isChild() && hasValidLink(s.links)
	case dataFollowUp:
		return followUp
	}
	return false
}

// isChild reports whether s has a local parent: a span of a transaction,
// not its root.
func (s *spanView) isChild() bool { return s.parent.IsValid() && !s.parent.IsRemote() }

func hasValidLink(links []linkView) bool {
	for _, l := range links {
		if l.sc.IsValid() {
			return true
		}
	}
	return false
}

// appendData writes a span's data object, what spanDataFrom puts in its
// map: the attributes as o's privacy lets them through, otel.kind, the
// scope (o.withScope), the keys Sentry's insights read, the links of a
// child span, and the follow-up mark of a follow-up transaction.
func (e *txEncoder) appendData(b []byte, s *spanView, o dataOptions, followUp bool) []byte {
	var seen insightValues
	b = append(b, '{')
	first := true
	for _, kv := range s.attrs {
		if s.ownDataKey(kv.Key, o, followUp) {
			continue
		}
		v, ok := o.privacy.value(kv)
		if !ok {
			continue
		}
		mark := len(b)
		if !first {
			b = append(b, ',')
		}
		b = appendJSONKey(b, string(kv.Key))
		if b, ok = appendAttrValue(b, v); !ok {
			b = b[:mark]
			continue
		}
		first = false
		seen.note(kv.Key, v)
	}
	if !first {
		b = append(b, ',')
	}
	b = appendJSONKey(b, dataOTelKind)
	b = appendJSONString(b, kindName(s.kind))
	if o.withScope && s.scope.Name != "" {
		b = append(b, ',')
		b = appendJSONString(appendJSONKey(b, dataOTelScopeName), s.scope.Name)
		if s.scope.Version != "" {
			b = append(b, ',')
			b = appendJSONString(appendJSONKey(b, dataOTelScopeVersion), s.scope.Version)
		}
	}
	b = seen.appendAliases(b, s.kind)
	if s.isChild() && hasValidLink(s.links) {
		b = appendLinks(appendJSONKey(append(b, ','), dataLinks), s.links)
	}
	if followUp {
		b = append(b, `,"`+dataFollowUp+`":true`...)
	}
	return append(b, '}')
}

// insightValues are the values of those attributes a span's data holds.
type insightValues struct {
	v   [insKeys]attribute.Value
	set [insKeys]bool
}

// note records kv's value when its key is one of the insight keys.
func (iv *insightValues) note(k attribute.Key, v attribute.Value) {
	i := -1
	switch k {
	case keyMessagingSystem:
		i = insMessagingSystem
	case keyMessagingDestinationName:
		i = insDestinationName
	case keyMessagingDestination:
		i = insDestination
	case keyMessagingMessageID:
		i = insMessageID
	case keyMessagingMessageIDOld:
		i = insMessageIDOld
	case keyMessagingBodySize:
		i = insBodySize
	case keyMessagingPayloadSize:
		i = insPayloadSize
	case keyMessagingPayloadSizeOld:
		i = insPayloadSizeOld
	case keyHTTPResponseStatusCode:
		i = insHTTPResponseStatusCode
	case keyHTTPStatusCode:
		i = insHTTPStatusCode
	case keyDBSystem:
		i = insDBSystem
	case keyDBSystemName:
		i = insDBSystemName
	default:
		return
	}
	iv.v[i], iv.set[i] = v, true
}

// appendAliases writes, under the keys Sentry's insights read, values the
// span recorded only under another semantic-convention key, by the rules of
// insightAliases that addInsightKeys follows too.
func (iv *insightValues) appendAliases(b []byte, kind trace.SpanKind) []byte {
	messaging := iv.set[insMessagingSystem]
	for i := range insightAliases {
		a := &insightAliases[i]
		if !a.applies(messaging, kind) || iv.set[a.key] {
			continue
		}
		for _, f := range a.from {
			if iv.set[f] {
				mark := len(b)
				b = appendJSONKey(append(b, ','), insightKeys[a.key])
				var ok bool
				if b, ok = appendAttrValue(b, iv.v[f]); !ok {
					b = b[:mark]
				}
				break
			}
		}
	}
	return b
}

// appendLinks writes span links as sentryLinks builds them; nil when none
// is valid.
func appendLinks(b []byte, links []linkView) []byte {
	n := 0
	for _, l := range links {
		if !l.sc.IsValid() {
			continue
		}
		if n == 0 {
			b = append(b, '[')
		} else {
			b = append(b, ',')
		}
		n++
		tid, sid := l.sc.TraceID(), l.sc.SpanID()
		b = append(b, `{"trace_id":`...)
		b = appendJSONHex(b, tid[:])
		b = append(b, `,"span_id":`...)
		b = appendJSONHex(b, sid[:])
		b = append(b, `,"sampled":`...)
		b = strconv.AppendBool(b, l.sc.IsSampled())
		if len(l.attrs) > 0 {
			b = append(b, `,"attributes":`...)
			b = appendAttrObject(b, l.attrs)
		}
		b = append(b, '}')
	}
	if n == 0 {
		return nil
	}
	return append(b, ']')
}

// appendDSC writes the DSC as the envelope's trace header: a flat object of
// strings.
func appendDSC(b []byte, d DynamicSamplingContext) []byte {
	b = append(b, '{')
	for i, m := range d.members {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(appendJSONKey(b, m.key), m.value)
	}
	return append(b, '}')
}

// appendHeadDSC writes headDSC(sc, info) as appendDSC does, without
// building it.
func appendHeadDSC(b []byte, sc trace.SpanContext, info *clientInfo) []byte {
	h := headValuesOf(sc, info)
	b = append(b, `{"trace_id":"`...)
	b = append(b, make([]byte, traceIDHexLen)...)
	encodeHex(b[len(b)-traceIDHexLen:], h.traceID[:])
	b = append(b, `","sample_rate":`...)
	b = appendJSONString(b, h.rateText)
	b = append(b, `,"sample_rand":"`...)
	b = appendRand(b, h.rand)
	b = append(b, `","sampled":"`...)
	b = strconv.AppendBool(b, h.sampled)
	b = append(b, '"')
	for _, m := range info.clientMembers {
		b = append(b, ',')
		b = appendJSONString(appendJSONKey(b, m.key), m.value)
	}
	return append(b, '}')
}

// kindName is the span kind as otel.kind holds it.
func kindName(k trace.SpanKind) string {
	if s, ok := kindValue(k).(string); ok {
		return s
	}
	return k.String()
}

// putRandom fills b with random bytes: event ids.
func putRandom(b []byte) {
	for i := 0; i < len(b); i += 8 {
		var w [8]byte
		v := rand.Uint64()
		for j := range w {
			w[j] = byte(v >> (8 * j))
		}
		copy(b[i:], w[:])
	}
}
