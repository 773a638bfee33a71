package otelsentry

import (
	"strings"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// sentryKeyParam is the query parameter that authenticates a request to
// Sentry's ingestion API.
const sentryKeyParam = "sentry_key="

// isSentryUpload reports whether s is the span of one of sentry-go's own
// uploads (SPEC §8), which must not be sent to Sentry: an HTTP client span
// whose URL (url.full or http.url, else server.address with url.path) is on
// dsnHost and either has a sentry_key= query parameter or the path of the
// envelope or store endpoint, /api/<project>/envelope/ or
// /api/<project>/store/ (after any path prefix of the DSN). Hosts compare
// case-insensitively and without their port. It returns false at once for
// spans of any other kind and when dsnHost is empty.
func isSentryUpload(s sdktrace.ReadOnlySpan, dsnHost, project string) bool {
	if dsnHost == "" || s.SpanKind() != trace.SpanKindClient {
		return false // before reading the attributes
	}
	a := readSpanAttrs(s.Attributes())
	return a.isSentryUpload(s.SpanKind(), dsnHost, project)
}

// isSentryUpload is isSentryUpload for a span of kind kind whose attributes
// a holds (readSpanAttrs).
func (a *spanAttrs) isSentryUpload(kind trace.SpanKind, dsnHost, project string) bool {
	if dsnHost == "" || kind != trace.SpanKindClient {
		return false
	}
	host, path, query := a.serverAddress, a.urlPath, a.urlQuery
	if a.urlFull != "" {
		host, path, query = splitURL(a.urlFull)
	} else if i := strings.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i+1:]
	}
	if !strings.EqualFold(hostWithoutPort(host), hostWithoutPort(dsnHost)) {
		return false
	}
	return hasSentryKey(query) || isSentryIngestPath(path, project)
}

// splitURL returns the host (with any port, without user information), the
// path and the query of the absolute URL u. The host is "" when u has no
// scheme.
func splitURL(u string) (host, path, query string) {
	if i := strings.IndexByte(u, '#'); i >= 0 {
		u = u[:i]
	}
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u, query = u[:i], u[i+1:]
	}
	i := strings.Index(u, "://")
	if i < 0 {
		return "", u, query
	}
	rest := u[i+3:]
	host = rest
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		host, path = rest[:j], rest[j:]
	}
	if at := strings.LastIndexByte(host, '@'); at >= 0 {
		host = host[at+1:]
	}
	return host, path, query
}

// hostWithoutPort returns the host of hostport: the name or address
// without the port and without the brackets of an IPv6 address.
func hostWithoutPort(hostport string) string {
	if strings.HasPrefix(hostport, "[") {
		if end := strings.IndexByte(hostport, ']'); end > 0 {
			return hostport[1:end]
		}
		return hostport
	}
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 && strings.IndexByte(hostport, ':') == i {
		return hostport[:i]
	}
	return hostport
}

// hasSentryKey reports whether the query string query has a sentry_key
// parameter.
func hasSentryKey(query string) bool {
	for query != "" {
		var param string
		param, query, _ = strings.Cut(query, "&")
		if strings.HasPrefix(param, sentryKeyParam) {
			return true
		}
	}
	return false
}

// isSentryIngestPath reports whether path ends with /api/<project>/envelope/
// or /api/<project>/store/, the final slash being optional. An empty
// project stands for any: a service of the application that happens to live
// on the DSN's host is told apart by the project id.
func isSentryIngestPath(path, project string) bool {
	i := strings.LastIndex(path, "/api/")
	if i < 0 {
		return false
	}
	id, endpoint, ok := strings.Cut(path[i+len("/api/"):], "/")
	if !ok || id == "" || (project != "" && id != project) {
		return false
	}
	switch strings.TrimSuffix(endpoint, "/") {
	case "envelope", "store":
		return true
	}
	return false
}
