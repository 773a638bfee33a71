package otelsentry

import (
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// spanView is what the mapping and the encoder read of one finished span.
// It holds OTel API types only, so that span sources other than the OTel
// SDK can be encoded the same way; read fills it from an SDK span.
type spanView struct {
	name   string
	kind   trace.SpanKind
	sc     trace.SpanContext
	parent trace.SpanContext
	start  time.Time
	end    time.Time
	attrs  []attribute.KeyValue
	status codes.Code
	desc   string // the status description
	scope  instrumentation.Scope
	links  []linkView
}

// linkView is a span link.
type linkView struct {
	sc    trace.SpanContext
	attrs []attribute.KeyValue
}

// read makes v a view of the SDK span s, in place. It copies no attribute.
func (v *spanView) read(s sdktrace.ReadOnlySpan) {
	st := s.Status()
	*v = spanView{
		name:   s.Name(),
		kind:   s.SpanKind(),
		sc:     s.SpanContext(),
		parent: s.Parent(),
		start:  s.StartTime(),
		end:    s.EndTime(),
		attrs:  s.Attributes(),
		status: st.Code,
		desc:   st.Description,
		scope:  s.InstrumentationScope(),
	}
	if links := s.Links(); len(links) > 0 {
		v.links = make([]linkView, len(links))
		for i, l := range links {
			v.links[i] = linkView{sc: l.SpanContext, attrs: l.Attributes}
		}
	}
}
