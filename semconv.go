package otelsentry

import (
	"strconv"
	"strings"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Attribute keys of the OpenTelemetry semantic conventions read by the
// mapping. Each stable key is listed with the older key it replaced; a span
// may carry either, and when it carries both the stable one wins.
const (
	keyHTTPRequestMethod         = "http.request.method"
	keyHTTPMethod                = "http.method" // before http.request.method
	keyHTTPRequestMethodOriginal = "http.request.method_original"
	keyHTTPRoute                 = "http.route"
	keyURLFull                   = "url.full"
	keyHTTPURL                   = "http.url" // before url.full
	keyURLPath                   = "url.path"
	keyHTTPTarget                = "http.target" // before url.path and url.query
	keyURLQuery                  = "url.query"
	keyURLScheme                 = "url.scheme"
	keyHTTPScheme                = "http.scheme" // before url.scheme
	keyServerAddress             = "server.address"
	keyNetPeerName               = "net.peer.name" // before server.address
	keyServerPort                = "server.port"
	keyNetPeerPort               = "net.peer.port" // before server.port
	keyHTTPResponseStatusCode    = "http.response.status_code"
	keyHTTPStatusCode            = "http.status_code" // before http.response.status_code

	keyDBSystemName = "db.system.name"
	keyDBSystem     = "db.system" // before db.system.name
	keyDBQueryText  = "db.query.text"
	keyDBStatement  = "db.statement" // before db.query.text

	keyMessagingSystem          = "messaging.system"
	keyMessagingOperationType   = "messaging.operation.type"
	keyMessagingOperation       = "messaging.operation" // before messaging.operation.type
	keyMessagingDestinationName = "messaging.destination.name"
	keyMessagingDestination     = "messaging.destination" // before messaging.destination.name
	keyMessagingMessageID       = "messaging.message.id"
	keyMessagingMessageIDOld    = "messaging.message_id" // before messaging.message.id
	keyMessagingBodySize        = "messaging.message.body.size"
	keyMessagingPayloadSize     = "messaging.message.payload_size_bytes" // before messaging.message.body.size
	keyMessagingPayloadSizeOld  = "messaging.message_payload_size_bytes" // before messaging.message.payload_size_bytes

	keyRPCSystemName         = "rpc.system.name"
	keyRPCSystem             = "rpc.system" // before rpc.system.name
	keyRPCGRPCStatusCode     = "rpc.grpc.status_code"
	keyRPCResponseStatusCode = "rpc.response.status_code" // replaces rpc.grpc.status_code, a code name

	keyFaaSTrigger = "faas.trigger"

	keySentryOp          = "sentry.op"
	keySentryName        = "sentry.name"
	keySentrySource      = "sentry.source"
	keySentryDescription = "sentry.description"
)

// Attribute values and defaults the mapping relies on.
const (
	// httpMethodOther is the http.request.method of a method the
	// instrumentation does not know; the method is then in
	// http.request.method_original.
	httpMethodOther = "_OTHER"
	// rpcSystemGRPC is the rpc.system.name (rpc.system) of gRPC.
	rpcSystemGRPC = "grpc"
	// defaultHTTPPort and defaultTLSPort are left out of built URLs.
	defaultHTTPPort = 80
	defaultTLSPort  = 443
)

// spanMapping is what Sentry needs to know of one span besides its ids and times.
type spanMapping struct {
	// op is the Sentry operation, e.g. http.server or db. Never empty.
	op string
	// name is the transaction name, used when the span is a transaction root.
	name string
	// description is the span description, used when the span is a child span.
	description string
	// source tells how name was built. Never empty, never "unknown".
	source sentry.TransactionSource
}

// mapSpan is mapFrom for the span s, when nothing else of it is needed.
func mapSpan(s sdktrace.ReadOnlySpan) spanMapping {
	a := readSpanAttrs(s.Attributes())
	return mapFrom(s.Name(), s.SpanKind(), &a)
}

// spanAttrs holds the attributes of one span that the mapping reads, taken
// in a single pass over the span's attributes. Old keys only fill a field
// the stable key left empty, so the stable key wins whatever the order.
type spanAttrs struct {
	httpMethod, httpMethodOriginal, httpRoute string
	urlFull, urlPath, urlQuery, urlScheme     string
	serverAddress                             string
	serverPort                                int64
	httpStatus                                int64 // 0 when absent
	dbSystem, dbQuery                         string
	msgSystem, msgOperation, msgDestination   string
	rpcSystem                                 string
	rpcResponseStatus                         string
	grpcStatus                                int64
	hasGRPCStatus                             bool
	faasTrigger                               string
	sentryOp, sentryName                      string
	sentrySource, sentryDescription           string
}

// readSpanAttrs collects the attributes the mapping reads from attrs.
func readSpanAttrs(attrs []attribute.KeyValue) spanAttrs {
	var a spanAttrs
	a.read(attrs)
	return a
}

// read sets a to the attributes the mapping reads from attrs, in place.
func (a *spanAttrs) read(attrs []attribute.KeyValue) {
	*a = spanAttrs{}
	for _, kv := range attrs {
		v := kv.Value
		switch kv.Key {
		case keyHTTPRequestMethod:
			a.httpMethod = semconvString(v)
		case keyHTTPMethod:
			keepOrSet(&a.httpMethod, v)
		case keyHTTPRequestMethodOriginal:
			a.httpMethodOriginal = semconvString(v)
		case keyHTTPRoute:
			a.httpRoute = semconvString(v)
		case keyURLFull:
			a.urlFull = semconvString(v)
		case keyHTTPURL:
			keepOrSet(&a.urlFull, v)
		case keyURLPath:
			a.urlPath = semconvString(v)
		case keyHTTPTarget:
			keepOrSet(&a.urlPath, v)
		case keyURLQuery:
			a.urlQuery = semconvString(v)
		case keyURLScheme:
			a.urlScheme = semconvString(v)
		case keyHTTPScheme:
			keepOrSet(&a.urlScheme, v)
		case keyServerAddress:
			a.serverAddress = semconvString(v)
		case keyNetPeerName:
			keepOrSet(&a.serverAddress, v)
		case keyServerPort:
			a.serverPort, _ = semconvInt(v)
		case keyNetPeerPort:
			if a.serverPort == 0 {
				a.serverPort, _ = semconvInt(v)
			}
		case keyHTTPResponseStatusCode:
			a.httpStatus, _ = semconvInt(v)
		case keyHTTPStatusCode:
			if a.httpStatus == 0 {
				a.httpStatus, _ = semconvInt(v)
			}
		case keyDBSystemName:
			a.dbSystem = semconvString(v)
		case keyDBSystem:
			keepOrSet(&a.dbSystem, v)
		case keyDBQueryText:
			a.dbQuery = semconvString(v)
		case keyDBStatement:
			keepOrSet(&a.dbQuery, v)
		case keyMessagingSystem:
			a.msgSystem = semconvString(v)
		case keyMessagingOperationType:
			a.msgOperation = semconvString(v)
		case keyMessagingOperation:
			keepOrSet(&a.msgOperation, v)
		case keyMessagingDestinationName:
			a.msgDestination = semconvString(v)
		case keyMessagingDestination:
			keepOrSet(&a.msgDestination, v)
		case keyRPCSystemName:
			a.rpcSystem = semconvString(v)
		case keyRPCSystem:
			keepOrSet(&a.rpcSystem, v)
		case keyRPCGRPCStatusCode:
			a.grpcStatus, a.hasGRPCStatus = semconvInt(v)
		case keyRPCResponseStatusCode:
			a.rpcResponseStatus = semconvString(v)
		case keyFaaSTrigger:
			a.faasTrigger = semconvString(v)
		case keySentryOp:
			a.sentryOp = semconvString(v)
		case keySentryName:
			a.sentryName = semconvString(v)
		case keySentrySource:
			a.sentrySource = semconvString(v)
		case keySentryDescription:
			a.sentryDescription = semconvString(v)
		}
	}
}

// keepOrSet stores the string value v of an old semantic-convention key in
// dst unless the stable key already filled it.
func keepOrSet(dst *string, v attribute.Value) {
	if *dst == "" {
		*dst = semconvString(v)
	}
}

// semconvString returns v when it is a string attribute, else "".
func semconvString(v attribute.Value) string {
	if v.Type() != attribute.STRING {
		return ""
	}
	return v.AsString()
}

// semconvInt returns v as an integer when it is an integer attribute or a
// string of decimal digits (some instrumentations record codes as strings).
func semconvInt(v attribute.Value) (int64, bool) {
	switch v.Type() {
	case attribute.INT64:
		return v.AsInt64(), true
	case attribute.STRING:
		n, err := strconv.ParseInt(v.AsString(), 10, 64)
		return n, err == nil
	}
	return 0, false
}

// mapFrom tells how Sentry should show a span named name of the given kind
// whose attributes were read into a: its op, its transaction name, its
// description and the source of that name. It follows the table of SPEC §5,
// reading the stable and the older semantic conventions, in this order:
// HTTP, database, messaging, RPC, FaaS, anything else. The span's sentry.op,
// sentry.name, sentry.description and sentry.source attributes override the
// result (see applyOverrides).
func mapFrom(name string, kind trace.SpanKind, a *spanAttrs) spanMapping {
	m := inferMapping(name, kind, a)
	a.applyOverrides(&m)
	return m
}

// inferMapping maps a span named name of the given kind from its attributes a.
func inferMapping(name string, kind trace.SpanKind, a *spanAttrs) spanMapping {
	switch {
	case a.httpMethod != "":
		return httpMapping(name, kind, a)
	case a.dbSystem != "" || a.dbQuery != "":
		return dbMapping(name, a)
	case a.msgSystem != "":
		return messagingMapping(name, kind, a)
	case a.rpcSystem != "":
		return rpcMapping(name, kind, a)
	case a.faasTrigger != "":
		return spanMapping{op: a.faasTrigger, name: name, description: name, source: sentry.SourceTask}
	}
	return spanMapping{op: opForKind(kind), name: name, description: name, source: sentry.SourceCustom}
}

// httpMapping maps an HTTP span. A server span is named "METHOD route"
// (source route) or else "METHOD path" without the query (source url). A
// client span is named "METHOD url", the full URL without its query,
// fragment and credentials (source url: the name holds ids, so it must stay
// out of the DSC, SPEC §2). Spans of other kinds get op http and are named
// like client spans. When no target is known the span name is kept (source
// custom).
func httpMapping(name string, kind trace.SpanKind, a *spanAttrs) spanMapping {
	m := spanMapping{op: "http", name: name, description: name, source: sentry.SourceCustom}
	var target string
	var source sentry.TransactionSource
	switch kind {
	case trace.SpanKindServer:
		m.op = "http.server"
		target, source = a.serverTarget(name)
	case trace.SpanKindClient:
		m.op = "http.client"
		fallthrough
	default:
		target, source = a.clientTarget()
	}
	if target != "" {
		m.name = a.method() + " " + target
		m.description = m.name
		m.source = source
	}
	return m
}

// method is the HTTP request method, the original one when the stable
// convention recorded _OTHER.
func (a *spanAttrs) method() string {
	if a.httpMethod == httpMethodOther && a.httpMethodOriginal != "" {
		return a.httpMethodOriginal
	}
	return a.httpMethod
}

// serverTarget names what an HTTP server span, named name, served: its
// route, else the route its name reveals (routeFromName), else its path,
// else its URL.
func (a *spanAttrs) serverTarget(name string) (string, sentry.TransactionSource) {
	if a.httpRoute != "" {
		return a.httpRoute, sentry.SourceRoute
	}
	if r := a.routeFromName(name); r != "" {
		return r, sentry.SourceRoute
	}
	if p := stripQueryAndFragment(a.urlPath); p != "" {
		return p, sentry.SourceURL
	}
	if u := a.clientURL(); u != "" {
		return u, sentry.SourceURL
	}
	return "", sentry.SourceCustom
}

// routeFromName returns the route in a server span's name of the form
// "METHOD /pattern", METHOD being the request's method: what otelhttp names
// the span after the pattern of Go's ServeMux ("GET /orders/{id}", with no
// http.route), and what a span renamed by hand holds. It returns "" for any
// other name.
func (a *spanAttrs) routeFromName(name string) string {
	method := a.method()
	if method == "" || len(name) <= len(method)+1 || name[:len(method)] != method || name[len(method)] != ' ' {
		return ""
	}
	if route := name[len(method)+1:]; route[0] == '/' && !strings.ContainsAny(route, " ?#") {
		return route
	}
	return ""
}

// clientTarget names what an HTTP client span requested: its URL, else its
// route, else its path.
func (a *spanAttrs) clientTarget() (string, sentry.TransactionSource) {
	if u := a.clientURL(); u != "" {
		return u, sentry.SourceURL
	}
	if a.httpRoute != "" {
		return a.httpRoute, sentry.SourceRoute
	}
	if p := stripQueryAndFragment(a.urlPath); p != "" {
		return p, sentry.SourceURL
	}
	return "", sentry.SourceCustom
}

// clientURL is the span's URL without query, fragment and credentials: the
// full URL when recorded, else one built from the scheme, server address,
// port and path. It is "" when the span names no server.
func (a *spanAttrs) clientURL() string {
	if a.urlFull != "" {
		return sanitizeURL(a.urlFull)
	}
	if a.serverAddress == "" {
		return ""
	}
	scheme := a.urlScheme
	if scheme == "" {
		scheme = "http"
		if a.serverPort == defaultTLSPort {
			scheme = "https"
		}
	}
	host := a.serverAddress
	if strings.IndexByte(host, ':') >= 0 && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]" // an IPv6 address
	}
	port := ""
	if a.serverPort > 0 && !(scheme == "http" && a.serverPort == defaultHTTPPort) &&
		!(scheme == "https" && a.serverPort == defaultTLSPort) {
		port = ":" + strconv.FormatInt(a.serverPort, 10)
	}
	return scheme + "://" + host + port + stripQueryAndFragment(a.urlPath)
}

// stripQueryAndFragment returns u up to its first '?' or '#'.
func stripQueryAndFragment(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		return u[:i]
	}
	return u
}

// sanitizeURL returns u without its query, fragment and user information
// (user:password@), which may hold secrets.
func sanitizeURL(u string) string {
	u = stripQueryAndFragment(u)
	i := strings.Index(u, "://")
	if i < 0 {
		return u
	}
	authority := u[i+3:]
	if end := strings.IndexByte(authority, '/'); end >= 0 {
		authority = authority[:end]
	}
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		return u
	}
	return u[:i+3] + u[i+3+at+1:]
}

// dbMapping maps a database span: op db, the query text as description (what
// the Queries insight groups), and the span name as transaction name, never
// the query. The plain op db is used for every system because Sentry's
// insights match on the db prefix and the system is kept in the data.
func dbMapping(name string, a *spanAttrs) spanMapping {
	desc := a.dbQuery
	if desc == "" {
		desc = name
	}
	return spanMapping{op: "db", name: name, description: desc, source: sentry.SourceTask}
}

// messagingMapping maps a messaging span: its op is one of the Queues
// insight's (see queueOp) and its description the destination name.
func messagingMapping(name string, kind trace.SpanKind, a *spanAttrs) spanMapping {
	desc := a.msgDestination
	if desc == "" {
		desc = name
	}
	return spanMapping{op: queueOp(a.msgOperation, kind), name: name, description: desc, source: sentry.SourceTask}
}

// queueOp returns queue.publish for a publish, send or create operation and
// queue.process for a process, receive, deliver or settle operation. With no
// known operation, a producer span publishes and a consumer span processes;
// any other span gets the plain op queue.
func queueOp(operation string, kind trace.SpanKind) string {
	switch operation {
	case "publish", "send", "create":
		return "queue.publish"
	case "process", "receive", "deliver", "settle":
		return "queue.process"
	}
	switch kind {
	case trace.SpanKindProducer:
		return "queue.publish"
	case trace.SpanKindConsumer:
		return "queue.process"
	}
	return "queue"
}

// rpcMapping maps an RPC span: op grpc.server or grpc.client for gRPC server
// and client spans, rpc otherwise, named after the span (which the RPC
// conventions make "service/method", a route).
func rpcMapping(name string, kind trace.SpanKind, a *spanAttrs) spanMapping {
	op := "rpc"
	if a.rpcSystem == rpcSystemGRPC {
		switch kind {
		case trace.SpanKindServer:
			op = "grpc.server"
		case trace.SpanKindClient:
			op = "grpc.client"
		}
	}
	return spanMapping{op: op, name: name, description: name, source: sentry.SourceRoute}
}

// opForKind is the op of a span no convention describes. It is derived from
// the span kind, not the span name, so that ops stay few and can be grouped
// on: function for internal and unspecified spans, else the kind itself
// (server, client, producer, consumer).
func opForKind(kind trace.SpanKind) string {
	switch kind {
	case trace.SpanKindServer, trace.SpanKindClient, trace.SpanKindProducer, trace.SpanKindConsumer:
		return kind.String()
	}
	return "function"
}

// applyOverrides lets the user's sentry.* attributes win over the inferred
// mapping m. sentry.op replaces the op. sentry.name replaces the name and the
// description and makes the source custom. sentry.description then replaces
// the description, and sentry.source the source when it is a valid
// transaction source. Empty values are ignored.
func (a *spanAttrs) applyOverrides(m *spanMapping) {
	if a.sentryOp != "" {
		m.op = a.sentryOp
	}
	if a.sentryName != "" {
		m.name = a.sentryName
		m.description = a.sentryName
		m.source = sentry.SourceCustom
	}
	if a.sentryDescription != "" {
		m.description = a.sentryDescription
	}
	if src, ok := transactionSource(a.sentrySource); ok {
		m.source = src
	}
}

// transactionSource returns s as a transaction source when it is one Sentry
// accepts from an SDK (not "unknown").
func transactionSource(s string) (sentry.TransactionSource, bool) {
	switch src := sentry.TransactionSource(s); src {
	case sentry.SourceCustom, sentry.SourceURL, sentry.SourceRoute,
		sentry.SourceView, sentry.SourceComponent, sentry.SourceTask:
		return src, true
	}
	return "", false
}
