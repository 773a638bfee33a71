package otelsentry

import (
	"net/url"
	"strings"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/attribute"
)

// filteredValue stands for a value left out for privacy, as sentry-go
// writes it.
const filteredValue = "[Filtered]"

// privacy is what a client lets span data carry: sentry-go's resolved
// DataCollection (which SendDefaultPII sets when DataCollection is nil),
// applied to OTel attributes as sentry-go applies it to the requests and
// spans of its own integrations. Its zero value keeps everything, for tests
// of the mapping alone.
type privacy struct {
	// filter is set when anything is to be filtered at all.
	filter bool
	// userInfo keeps the attributes that identify the end user.
	userInfo bool
	dc       sentry.DataCollection
}

func privacyOf(c *sentry.Client) privacy {
	dc := c.GetDataCollection()
	return privacy{filter: true, userInfo: dc.UserInfo.Value, dc: dc}
}

// attrClass says how an attribute is filtered.
type attrClass uint8

const (
	attrPlain          attrClass = iota
	attrUser                     // identifies the end user: kept with userInfo only
	attrURL                      // a URL: user info removed, query values filtered
	attrQuery                    // a query string: values filtered
	attrTarget                   // a path with a query
	attrRequestHeader            // http.request.header.<name>
	attrResponseHeader           // http.response.header.<name>
)

const (
	requestHeaderPrefix  = "http.request.header."
	responseHeaderPrefix = "http.response.header."
)

// classify returns how the attribute key is filtered.
func classify(key attribute.Key) attrClass {
	switch key {
	case "client.address", "network.peer.address", "net.peer.ip", "net.sock.peer.addr",
		"http.client_ip":
		return attrUser
	case keyURLFull, keyHTTPURL, "url.original", "db.connection_string":
		return attrURL
	case keyURLQuery:
		return attrQuery
	case keyHTTPTarget:
		return attrTarget
	}
	k := string(key)
	switch {
	case strings.HasPrefix(k, "user.") || strings.HasPrefix(k, "enduser."):
		return attrUser
	case strings.HasPrefix(k, requestHeaderPrefix):
		return attrRequestHeader
	case strings.HasPrefix(k, responseHeaderPrefix):
		return attrResponseHeader
	}
	return attrPlain
}

// value returns what of the attribute kv may be sent, and false when none.
func (p privacy) value(kv attribute.KeyValue) (attribute.Value, bool) {
	if !p.filter {
		return kv.Value, true
	}
	switch classify(kv.Key) {
	case attrUser:
		return kv.Value, p.userInfo
	case attrURL:
		if kv.Value.Type() == attribute.STRING {
			return attribute.StringValue(p.url(kv.Value.AsString())), true
		}
	case attrQuery:
		if kv.Value.Type() == attribute.STRING {
			q := p.dc.FilterQueryString(kv.Value.AsString())
			return attribute.StringValue(q), q != ""
		}
	case attrTarget:
		if kv.Value.Type() == attribute.STRING {
			return attribute.StringValue(p.target(kv.Value.AsString())), true
		}
	case attrRequestHeader:
		return p.header(kv, string(kv.Key[len(requestHeaderPrefix):]), false)
	case attrResponseHeader:
		return p.header(kv, string(kv.Key[len(responseHeaderPrefix):]), true)
	}
	return kv.Value, true
}

// url returns u without user information (user:password@) and with the
// values of sensitive query parameters replaced by [Filtered], or with no
// query when the client collects none. A URL that does not parse loses its
// query and fragment.
func (p privacy) url(u string) string {
	if !strings.ContainsAny(u, "?@#") {
		return u
	}
	parsed, err := url.Parse(u)
	if err != nil {
		return sanitizeURL(u)
	}
	parsed.User = nil
	parsed.RawQuery = p.dc.FilterQueryString(parsed.RawQuery)
	parsed.ForceQuery = false
	return parsed.String()
}

// target filters the query of a request target, path?query.
func (p privacy) target(t string) string {
	path, query, ok := strings.Cut(t, "?")
	if !ok {
		return t
	}
	if query = p.dc.FilterQueryString(query); query == "" {
		return path
	}
	return path + "?" + query
}

// header returns what of the header attribute kv, of the header name, may
// be sent: cookies as the client collects them, and [Filtered] for the
// value of a header whose name is sensitive (authorization, and with
// SendDefaultPII off x-forwarded-for, x-real-ip and the like).
func (p privacy) header(kv attribute.KeyValue, name string, response bool) (attribute.Value, bool) {
	values := headerValues(kv.Value)
	switch {
	case !response && strings.EqualFold(name, "cookie"):
		if !p.dc.CollectCookies() {
			return attribute.Value{}, false
		}
		c := p.dc.FilterCookies(values)
		return attribute.StringValue(c), c != ""
	case response && strings.EqualFold(name, "set-cookie"):
		if !p.dc.CollectCookies() {
			return attribute.Value{}, false
		}
		c := p.dc.FilterSetCookies(values)
		return attribute.StringValue(c), c != ""
	}
	probe := map[string]string{name: ""}
	var kept map[string]string
	if response {
		kept = p.dc.FilterResponseHeaders(probe)
	} else {
		kept = p.dc.FilterRequestHeaders(probe)
	}
	switch v, ok := kept[name]; {
	case !ok:
		return attribute.Value{}, false // the client collects no headers
	case v == filteredValue:
		return attribute.StringValue(filteredValue), true
	}
	return kv.Value, true
}

// headerValues returns a header attribute's values: OTel records a string
// slice, older instrumentation a string.
func headerValues(v attribute.Value) []string {
	if v.Type() == attribute.STRINGSLICE {
		return v.AsStringSlice()
	}
	return []string{v.String()}
}
