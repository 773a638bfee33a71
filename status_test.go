package otelsentry

import (
	"math"
	"testing"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// statusSpan returns a read-only server span with the given OTel status and
// attributes.
func statusSpan(code codes.Code, description string, attrs ...attribute.KeyValue) sdktrace.ReadOnlySpan {
	return tracetest.SpanStub{
		Name:       "span",
		SpanKind:   trace.SpanKindServer,
		Status:     sdktrace.Status{Code: code, Description: description},
		Attributes: attrs,
	}.Snapshot()
}

func TestHTTPStatusToSentry(t *testing.T) {
	tests := []struct {
		name string
		code int
		want sentry.SpanStatus
	}{
		{name: "100", code: 100, want: sentry.SpanStatusOK},
		{name: "200", code: 200, want: sentry.SpanStatusOK},
		{name: "204", code: 204, want: sentry.SpanStatusOK},
		{name: "302", code: 302, want: sentry.SpanStatusOK},
		{name: "399", code: 399, want: sentry.SpanStatusOK},
		{name: "400", code: 400, want: sentry.SpanStatusInvalidArgument},
		{name: "401", code: 401, want: sentry.SpanStatusUnauthenticated},
		{name: "403", code: 403, want: sentry.SpanStatusPermissionDenied},
		{name: "404", code: 404, want: sentry.SpanStatusNotFound},
		{name: "409", code: 409, want: sentry.SpanStatusAlreadyExists},
		{name: "413", code: 413, want: sentry.SpanStatusFailedPrecondition},
		{name: "429", code: 429, want: sentry.SpanStatusResourceExhausted},
		{name: "499", code: 499, want: sentry.SpanStatusCanceled},
		{name: "other 4xx 402", code: 402, want: sentry.SpanStatusInvalidArgument},
		{name: "other 4xx 418", code: 418, want: sentry.SpanStatusInvalidArgument},
		{name: "other 4xx 422", code: 422, want: sentry.SpanStatusInvalidArgument},
		{name: "500", code: 500, want: sentry.SpanStatusInternalError},
		{name: "501", code: 501, want: sentry.SpanStatusUnimplemented},
		{name: "503", code: 503, want: sentry.SpanStatusUnavailable},
		{name: "504", code: 504, want: sentry.SpanStatusDeadlineExceeded},
		{name: "other 5xx 502", code: 502, want: sentry.SpanStatusInternalError},
		{name: "other 5xx 599", code: 599, want: sentry.SpanStatusInternalError},
		{name: "zero is no status", code: 0, want: sentry.SpanStatusUndefined},
		{name: "99 is no status", code: 99, want: sentry.SpanStatusUndefined},
		{name: "600 is no status", code: 600, want: sentry.SpanStatusUndefined},
		{name: "negative is no status", code: -404, want: sentry.SpanStatusUndefined},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := httpStatusToSentry(tt.code); got != tt.want {
				t.Errorf("httpStatusToSentry(%d) = %q, want %q", tt.code, got, tt.want)
			}
		})
	}
}

func TestStatusGRPCCodeToSentry(t *testing.T) {
	tests := []struct {
		name string
		code int
		want sentry.SpanStatus
	}{
		{name: "0 OK", code: 0, want: sentry.SpanStatusOK},
		{name: "1 CANCELLED", code: 1, want: sentry.SpanStatusCanceled},
		{name: "2 UNKNOWN", code: 2, want: sentry.SpanStatusUnknown},
		{name: "3 INVALID_ARGUMENT", code: 3, want: sentry.SpanStatusInvalidArgument},
		{name: "4 DEADLINE_EXCEEDED", code: 4, want: sentry.SpanStatusDeadlineExceeded},
		{name: "5 NOT_FOUND", code: 5, want: sentry.SpanStatusNotFound},
		{name: "6 ALREADY_EXISTS", code: 6, want: sentry.SpanStatusAlreadyExists},
		{name: "7 PERMISSION_DENIED", code: 7, want: sentry.SpanStatusPermissionDenied},
		{name: "8 RESOURCE_EXHAUSTED", code: 8, want: sentry.SpanStatusResourceExhausted},
		{name: "9 FAILED_PRECONDITION", code: 9, want: sentry.SpanStatusFailedPrecondition},
		{name: "10 ABORTED", code: 10, want: sentry.SpanStatusAborted},
		{name: "11 OUT_OF_RANGE", code: 11, want: sentry.SpanStatusOutOfRange},
		{name: "12 UNIMPLEMENTED", code: 12, want: sentry.SpanStatusUnimplemented},
		{name: "13 INTERNAL", code: 13, want: sentry.SpanStatusInternalError},
		{name: "14 UNAVAILABLE", code: 14, want: sentry.SpanStatusUnavailable},
		{name: "15 DATA_LOSS", code: 15, want: sentry.SpanStatusDataLoss},
		{name: "16 UNAUTHENTICATED", code: 16, want: sentry.SpanStatusUnauthenticated},
		{name: "17 is no status", code: 17, want: sentry.SpanStatusUndefined},
		{name: "negative is no status", code: -1, want: sentry.SpanStatusUndefined},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := grpcCodeToSentry(tt.code); got != tt.want {
				t.Errorf("grpcCodeToSentry(%d) = %q, want %q", tt.code, got, tt.want)
			}
		})
	}
}

// TestStatusWireNames pins the strings sentry-go sends for the statuses this
// package produces. They are the names of SPEC §6, except that sentry-go
// spells unknown_error "unknown", which Sentry accepts as the same status.
func TestStatusWireNames(t *testing.T) {
	tests := []struct {
		name   string
		status sentry.SpanStatus
	}{
		{name: "ok", status: sentry.SpanStatusOK},
		{name: "cancelled", status: sentry.SpanStatusCanceled},
		{name: "unknown", status: sentry.SpanStatusUnknown},
		{name: "invalid_argument", status: sentry.SpanStatusInvalidArgument},
		{name: "deadline_exceeded", status: sentry.SpanStatusDeadlineExceeded},
		{name: "not_found", status: sentry.SpanStatusNotFound},
		{name: "already_exists", status: sentry.SpanStatusAlreadyExists},
		{name: "permission_denied", status: sentry.SpanStatusPermissionDenied},
		{name: "resource_exhausted", status: sentry.SpanStatusResourceExhausted},
		{name: "failed_precondition", status: sentry.SpanStatusFailedPrecondition},
		{name: "aborted", status: sentry.SpanStatusAborted},
		{name: "out_of_range", status: sentry.SpanStatusOutOfRange},
		{name: "unimplemented", status: sentry.SpanStatusUnimplemented},
		{name: "internal_error", status: sentry.SpanStatusInternalError},
		{name: "unavailable", status: sentry.SpanStatusUnavailable},
		{name: "data_loss", status: sentry.SpanStatusDataLoss},
		{name: "unauthenticated", status: sentry.SpanStatusUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.status.String(); got != tt.name {
				t.Errorf("String() = %q, want %q", got, tt.name)
			}
			if got, ok := spanStatusFromName(tt.name); !ok || got != tt.status {
				t.Errorf("spanStatusFromName(%q) = %q, %v; want %q, true", tt.name, got, ok, tt.status)
			}
		})
	}
}

func TestStatusFromName(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   sentry.SpanStatus
		wantOK bool
	}{
		{name: "spec name unknown_error", in: "unknown_error", want: sentry.SpanStatusUnknown, wantOK: true},
		{name: "spec name cancelled", in: "cancelled", want: sentry.SpanStatusCanceled, wantOK: true},
		{name: "empty", in: "", want: sentry.SpanStatusUndefined},
		{name: "upper case", in: "NOT_FOUND", want: sentry.SpanStatusUndefined},
		{name: "free text", in: "connection refused", want: sentry.SpanStatusUndefined},
		{name: "american spelling", in: "canceled", want: sentry.SpanStatusUndefined},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := spanStatusFromName(tt.in)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("spanStatusFromName(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// statusCases are spans and their Sentry status; the encoder oracle sends
// each of them both ways.
var statusCases = []struct {
	name string
	span sdktrace.ReadOnlySpan
	want sentry.SpanStatus
}{
	// OTel status Ok.
	{name: "ok", span: statusSpan(codes.Ok, ""), want: sentry.SpanStatusOK},
	{name: "ok wins over 500", span: statusSpan(codes.Ok, "", attribute.Int("http.response.status_code", 500)), want: sentry.SpanStatusOK},

	// OTel status Unset.
	{name: "unset without attributes", span: statusSpan(codes.Unset, ""), want: sentry.SpanStatusOK},
	{name: "unset 200", span: statusSpan(codes.Unset, "", attribute.Int("http.response.status_code", 200)), want: sentry.SpanStatusOK},
	{name: "unset 404", span: statusSpan(codes.Unset, "", attribute.Int("http.response.status_code", 404)), want: sentry.SpanStatusNotFound},
	{name: "unset 422", span: statusSpan(codes.Unset, "", attribute.Int("http.response.status_code", 422)), want: sentry.SpanStatusInvalidArgument},
	{name: "unset 502", span: statusSpan(codes.Unset, "", attribute.Int("http.response.status_code", 502)), want: sentry.SpanStatusInternalError},
	{name: "unset old http.status_code", span: statusSpan(codes.Unset, "", attribute.Int("http.status_code", 503)), want: sentry.SpanStatusUnavailable},
	{name: "unset status code as string", span: statusSpan(codes.Unset, "", attribute.String("http.response.status_code", "429")), want: sentry.SpanStatusResourceExhausted},
	{name: "unset stable code wins over old one listed first", span: statusSpan(codes.Unset, "",
		attribute.Int("http.status_code", 500),
		attribute.Int("http.response.status_code", 401)), want: sentry.SpanStatusUnauthenticated},
	{name: "unset grpc code", span: statusSpan(codes.Unset, "", attribute.Int("rpc.grpc.status_code", 5)), want: sentry.SpanStatusNotFound},
	{name: "unset grpc code 0", span: statusSpan(codes.Unset, "", attribute.Int("rpc.grpc.status_code", 0)), want: sentry.SpanStatusOK},
	{name: "unset grpc code out of range", span: statusSpan(codes.Unset, "", attribute.Int("rpc.grpc.status_code", 99)), want: sentry.SpanStatusOK},
	{name: "unset grpc code that would wrap", span: statusSpan(codes.Unset, "", attribute.Int64("rpc.grpc.status_code", math.MaxUint32+6)), want: sentry.SpanStatusOK},
	{name: "unset rpc.response.status_code name", span: statusSpan(codes.Unset, "", attribute.String("rpc.response.status_code", "NOT_FOUND")), want: sentry.SpanStatusNotFound},
	{name: "unset rpc.response.status_code OK", span: statusSpan(codes.Unset, "", attribute.String("rpc.response.status_code", "OK")), want: sentry.SpanStatusOK},
	{name: "unset rpc.response.status_code connect name", span: statusSpan(codes.Unset, "", attribute.String("rpc.response.status_code", "canceled")), want: sentry.SpanStatusCanceled},
	{name: "unset rpc.response.status_code grpc number", span: statusSpan(codes.Unset, "",
		attribute.String("rpc.system.name", "grpc"),
		attribute.String("rpc.response.status_code", "14")), want: sentry.SpanStatusUnavailable},
	{name: "unset rpc.response.status_code jsonrpc number", span: statusSpan(codes.Unset, "",
		attribute.String("rpc.system.name", "jsonrpc"),
		attribute.String("rpc.response.status_code", "-32602")), want: sentry.SpanStatusOK},
	{name: "unset http wins over grpc", span: statusSpan(codes.Unset, "",
		attribute.Int("rpc.grpc.status_code", 5),
		attribute.Int("http.response.status_code", 503)), want: sentry.SpanStatusUnavailable},
	{name: "unset description is ignored", span: statusSpan(codes.Unset, "not_found"), want: sentry.SpanStatusOK},

	// OTel status Error.
	{name: "error without attributes", span: statusSpan(codes.Error, ""), want: sentry.SpanStatusInternalError},
	{name: "error 404", span: statusSpan(codes.Error, "", attribute.Int("http.response.status_code", 404)), want: sentry.SpanStatusNotFound},
	{name: "error 422", span: statusSpan(codes.Error, "", attribute.Int("http.response.status_code", 422)), want: sentry.SpanStatusInvalidArgument},
	{name: "error 502", span: statusSpan(codes.Error, "", attribute.Int("http.response.status_code", 502)), want: sentry.SpanStatusInternalError},
	{name: "error 504 old key", span: statusSpan(codes.Error, "", attribute.Int("http.status_code", 504)), want: sentry.SpanStatusDeadlineExceeded},
	{name: "error grpc", span: statusSpan(codes.Error, "", attribute.Int("rpc.grpc.status_code", 4)), want: sentry.SpanStatusDeadlineExceeded},
	{name: "error rpc.response.status_code", span: statusSpan(codes.Error, "", attribute.String("rpc.response.status_code", "PERMISSION_DENIED")), want: sentry.SpanStatusPermissionDenied},
	{name: "error 200 is not ok", span: statusSpan(codes.Error, "", attribute.Int("http.response.status_code", 200)), want: sentry.SpanStatusInternalError},
	{name: "error grpc 0 is not ok", span: statusSpan(codes.Error, "", attribute.Int("rpc.grpc.status_code", 0)), want: sentry.SpanStatusInternalError},
	{name: "error 200 with valid description", span: statusSpan(codes.Error, "aborted", attribute.Int("http.response.status_code", 200)), want: sentry.SpanStatusAborted},
	{name: "error code wins over description", span: statusSpan(codes.Error, "aborted", attribute.Int("http.response.status_code", 409)), want: sentry.SpanStatusAlreadyExists},
	{name: "error description valid", span: statusSpan(codes.Error, "permission_denied"), want: sentry.SpanStatusPermissionDenied},
	{name: "error description unknown_error", span: statusSpan(codes.Error, "unknown_error"), want: sentry.SpanStatusUnknown},
	{name: "error description free text", span: statusSpan(codes.Error, "connection refused"), want: sentry.SpanStatusInternalError},
	{name: "error description ok", span: statusSpan(codes.Error, "ok"), want: sentry.SpanStatusInternalError},
	{name: "error jsonrpc code", span: statusSpan(codes.Error, "",
		attribute.String("rpc.system.name", "jsonrpc"),
		attribute.String("rpc.response.status_code", "-32602")), want: sentry.SpanStatusInternalError},
}

func TestStatusFor(t *testing.T) {
	tests := statusCases
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statusFor(tt.span); got != tt.want {
				t.Errorf("statusFor() = %q, want %q", got, tt.want)
			}
		})
	}
}
