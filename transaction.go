package otelsentry

import (
	"slices"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// originOTel is the origin of every span and transaction this package makes
// (Sentry's trace origin: type "auto", category "otel").
const originOTel sentry.SpanOrigin = "auto.otel"

// Keys added to the data of the spans this package makes.
const (
	// dataFollowUp marks a transaction whose root's parent was sent in an
	// earlier transaction of the same trace.
	dataFollowUp = "otelsentry.follow_up"
	// dataLinks holds the span links of a child span: sentry-go's Span has
	// no field for them. Transactions carry theirs in contexts.trace.links.
	dataLinks = "links"
)

// exception event attribute keys (OTel semantic conventions).
const (
	eventException         = "exception"
	keyExceptionType       = attribute.Key("exception.type")
	keyExceptionMessage    = attribute.Key("exception.message")
	keyExceptionStacktrace = attribute.Key("exception.stacktrace")
	keyExceptionEscaped    = attribute.Key("exception.escaped")
)

// maxTransactionBytes is Sentry's limit on the size of a transaction item;
// a larger one is rejected whole.
const maxTransactionBytes = 1 << 20

// transactionBudget is what the spans of a transaction may take by
// spanSize's estimate, leaving room for what sentry-go adds to every event
// (contexts, modules, SDK information) and for the estimate's error.
const transactionBudget = maxTransactionBytes * 8 / 10

// buildTransaction converts a finished segment into a Sentry transaction and
// the error events of its exception span events. Child spans go in the
// order they started; those that would take the transaction past Sentry's
// size limit are left out, and their number returned. The transaction is
// nil when the client's TraceIgnoreStatusCodes holds its HTTP status code.
// The spans left out, for that, for the size limit or past MaxSpans, still
// give their error events; sentry-go's own uploads give nothing.
func (p *SpanProcessor) buildTransaction(seg *segment, info *clientInfo) (tx *sentry.Event, errs []*sentry.Event, overBudget int) {
	root := seg.root
	ra := readSpanAttrs(root.Attributes())
	var (
		m      spanMapping
		budget int
	)
	if !seg.followUp && info.ignoresStatus(ra.httpStatus) {
		m = mapFrom(root.Name(), root.SpanKind(), &ra)
	} else {
		tx, m, budget = p.transactionEvent(seg, &ra, info)
	}

	errs = appendExceptions(errs, root, m.op, m.name)
	rootScope := root.InstrumentationScope()
	for _, child := range seg.children {
		a := readSpanAttrs(child.Attributes())
		if a.isSentryUpload(child.SpanKind(), info.dsnHost, info.project) {
			continue
		}
		if tx != nil && overBudget == 0 {
			span := sentrySpan(child, &a, rootScope, info.privacy)
			if budget -= spanSize(span); budget >= 0 {
				tx.Spans = append(tx.Spans, span)
				errs = appendExceptions(errs, child, span.Op, m.name)
				continue
			}
		}
		if tx != nil {
			overBudget++ // this span and every later one
		}
		errs = appendLeftOutErrors(errs, child, &a, m.name)
	}
	for _, child := range seg.erred { // left out past MaxSpans
		a := readSpanAttrs(child.Attributes())
		if !a.isSentryUpload(child.SpanKind(), info.dsnHost, info.project) {
			errs = appendLeftOutErrors(errs, child, &a, m.name)
		}
	}
	return tx, errs, overBudget
}

// appendLeftOutErrors appends the error events of a child span, whose
// attributes a holds, that the transaction named transaction leaves out.
func appendLeftOutErrors(errs []*sentry.Event, child sdktrace.ReadOnlySpan, a *spanAttrs, transaction string) []*sentry.Event {
	if !hasException(child) {
		return errs
	}
	return appendExceptions(errs, child, mapFrom(child.Name(), child.SpanKind(), a).op, transaction)
}

// transactionEvent returns the transaction of seg, whose root's attributes
// ra holds, without its spans, and what it maps the root to. It sorts the
// children by start time, the order the spans go in, and returns the bytes
// left for them under Sentry's size limit.
func (p *SpanProcessor) transactionEvent(seg *segment, ra *spanAttrs, info *clientInfo) (tx *sentry.Event, m spanMapping, budget int) {
	root := seg.root
	f := factsOf(root, ra, instrumentation.Scope{}, info.privacy) // the transaction names its scope
	m = f.mapping
	sc := root.SpanContext()

	data := f.data
	if seg.followUp {
		data[dataFollowUp] = true
	}
	traceCtx := sentry.Context{
		"trace_id": sentry.TraceID(sc.TraceID()),
		"span_id":  sentry.SpanID(sc.SpanID()),
		"op":       m.op,
		"status":   f.status,
		"origin":   originOTel,
		"data":     data,
	}
	if parent := root.Parent(); parent.IsValid() {
		traceCtx["parent_span_id"] = sentry.SpanID(parent.SpanID())
	}
	if links := sentryLinks(root.Links()); links != nil {
		traceCtx["links"] = links
	}

	resource, resourceSize := p.worker.resourceFor(root.Resource())
	tx = &sentry.Event{
		Type:        "transaction",
		Transaction: m.name,
		StartTime:   root.StartTime(),
		Timestamp:   root.EndTime(),
		Contexts: map[string]sentry.Context{
			stashedTraceKey: traceCtx,
			"otel":          {"resource": resource},
		},
		TransactionInfo: &sentry.TransactionInfo{Source: m.source},
		Spans:           make([]*sentry.Span, 0, len(seg.children)),
	}

	slices.SortFunc(seg.children, func(a, b sdktrace.ReadOnlySpan) int { return a.StartTime().Compare(b.StartTime()) })
	return tx, m, transactionBudget - dataSize(data) - resourceSize
}

// spanFixedBytes estimates the JSON of a span's ids, timestamps, status and
// origin with their keys.
const spanFixedBytes = 300

// spanSize estimates the JSON bytes of a span.
func spanSize(s *sentry.Span) int {
	return spanFixedBytes + len(s.Op) + len(s.Description) + dataSize(s.Data)
}

// dataSize estimates the JSON bytes of a data map: a string counts once
// more for escapes in the worst case of every eighth byte.
func dataSize(data map[string]any) int {
	n := 0
	for k, v := range data {
		n += len(k) + 4 + valueSize(v)
	}
	return n
}

// valueSize estimates the JSON bytes of a data value.
func valueSize(v any) int {
	switch x := v.(type) {
	case string:
		return len(x) + len(x)/8 + 2
	case []string:
		n := 2
		for _, s := range x {
			n += len(s) + len(s)/8 + 3
		}
		return n
	case []int64:
		return 24 * len(x)
	case []float64:
		return 24 * len(x)
	case []bool:
		return 6 * len(x)
	case []map[string]any: // links
		n := 2
		for _, m := range x {
			n += dataSize(m) + 2
		}
		return n
	}
	return 24
}

// sentrySpan converts a child span of a transaction whose root has the
// instrumentation scope rootScope; a holds the span's attributes
// (readSpanAttrs). The span names its own scope only when it differs. It
// builds a plain sentry.Span value, without sentry-go's per-span context,
// lock use and recorder.
func sentrySpan(s sdktrace.ReadOnlySpan, a *spanAttrs, rootScope instrumentation.Scope, pv privacy) *sentry.Span {
	f := factsOf(s, a, rootScope, pv)
	sc := s.SpanContext()
	data := f.data
	if links := sentryLinks(s.Links()); links != nil {
		data[dataLinks] = links
	}
	return &sentry.Span{
		TraceID:      sentry.TraceID(sc.TraceID()),
		SpanID:       sentry.SpanID(sc.SpanID()),
		ParentSpanID: sentry.SpanID(s.Parent().SpanID()),
		Op:           f.mapping.op,
		Description:  f.mapping.description,
		Status:       f.status,
		StartTime:    s.StartTime(),
		EndTime:      s.EndTime(),
		Data:         data,
		Origin:       originOTel,
	}
}

// spanFacts is what the conversion needs of one span, its attributes
// copied out of the span and read once.
type spanFacts struct {
	mapping spanMapping
	status  sentry.SpanStatus
	data    map[string]any
}

// factsOf reads the span s, whose attributes a holds (readSpanAttrs), of a
// transaction whose root has the instrumentation scope rootScope. Its data
// is filtered by pv.
func factsOf(s sdktrace.ReadOnlySpan, a *spanAttrs, rootScope instrumentation.Scope, pv privacy) spanFacts {
	scope := s.InstrumentationScope()
	o := dataOptions{
		withScope: scope.Name != rootScope.Name || scope.Version != rootScope.Version,
		privacy:   pv,
	}
	return spanFacts{
		mapping: mapFrom(s.Name(), s.SpanKind(), a),
		status:  statusFrom(s.Status().Code, s.Status().Description, a),
		data:    spanDataFrom(s, s.Attributes(), o, nil),
	}
}

// sentryLinks converts span links to Sentry's form.
func sentryLinks(links []sdktrace.Link) []map[string]any {
	if len(links) == 0 {
		return nil
	}
	out := make([]map[string]any, 0, len(links))
	for _, l := range links {
		sc := l.SpanContext
		if !sc.IsValid() {
			continue
		}
		link := map[string]any{
			"trace_id": sentry.TraceID(sc.TraceID()),
			"span_id":  sentry.SpanID(sc.SpanID()),
			"sampled":  sc.IsSampled(),
		}
		if len(l.Attributes) > 0 {
			attrs := make(map[string]any, len(l.Attributes))
			for _, kv := range l.Attributes {
				if v, ok := plainValue(kv.Value); ok {
					attrs[string(kv.Key)] = v
				}
			}
			link["attributes"] = attrs
		}
		out = append(out, link)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// hasException reports whether s recorded an exception event.
func hasException(s sdktrace.ReadOnlySpan) bool {
	for _, ev := range s.Events() {
		if ev.Name == eventException {
			return true
		}
	}
	return false
}

// appendExceptions appends an error event for each exception event of s,
// linked to s by its trace context.
func appendExceptions(errs []*sentry.Event, s sdktrace.ReadOnlySpan, op, transaction string) []*sentry.Event {
	for _, ev := range s.Events() {
		if ev.Name != eventException {
			continue
		}
		errs = append(errs, exceptionEvent(s, ev, op, transaction))
	}
	return errs
}

func exceptionEvent(s sdktrace.ReadOnlySpan, ev sdktrace.Event, op, transaction string) *sentry.Event {
	exc := sentry.Exception{Type: "error"}
	handled := true
	for _, kv := range ev.Attributes {
		switch kv.Key {
		case keyExceptionType:
			exc.Type = kv.Value.String()
		case keyExceptionMessage:
			exc.Value = kv.Value.String()
		case keyExceptionStacktrace:
			exc.Stacktrace = parseGoStack(kv.Value.AsString())
		case keyExceptionEscaped:
			handled = !kv.Value.AsBool()
		}
	}
	exc.Mechanism = &sentry.Mechanism{Type: "otel", Handled: &handled}

	sc := s.SpanContext()
	traceCtx := sentry.Context{
		"trace_id": sentry.TraceID(sc.TraceID()),
		"span_id":  sentry.SpanID(sc.SpanID()),
		"op":       op,
		"origin":   originOTel,
	}
	if parent := s.Parent(); parent.IsValid() {
		traceCtx["parent_span_id"] = sentry.SpanID(parent.SpanID())
	}
	return &sentry.Event{
		Level:       sentry.LevelError,
		Timestamp:   ev.Time,
		Transaction: transaction,
		Exception:   []sentry.Exception{exc},
		Contexts:    map[string]sentry.Context{stashedTraceKey: traceCtx},
	}
}
