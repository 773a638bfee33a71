package otelsentry

import (
	"strconv"

	"github.com/getsentry/sentry-go"
	"go.opentelemetry.io/otel/codes"
)

// statusFrom returns the Sentry status of a span with the OTel status code
// and description desc and the attributes read into a (SPEC §6):
//
//   - OTel status Ok: ok.
//   - OTel status Error: the status its HTTP status code or gRPC code maps
//     to, else its status description when that names a valid Sentry status,
//     else internal_error. Neither a code that maps to ok nor the description
//     "ok" can make a failed span ok.
//   - OTel status Unset: the status its HTTP status code or gRPC code maps
//     to, else ok. A 4xx on a server span thus shows in Sentry although OTel
//     leaves such spans Unset.
//
// The HTTP status code is looked at before the gRPC code.
func statusFrom(code codes.Code, desc string, a *spanAttrs) sentry.SpanStatus {
	if code == codes.Ok {
		return sentry.SpanStatusOK
	}
	fromAttrs := a.status()
	if code != codes.Error {
		if fromAttrs == sentry.SpanStatusUndefined {
			return sentry.SpanStatusOK
		}
		return fromAttrs
	}
	if fromAttrs != sentry.SpanStatusUndefined && fromAttrs != sentry.SpanStatusOK {
		return fromAttrs
	}
	if ss, ok := spanStatusFromName(desc); ok && ss != sentry.SpanStatusOK {
		return ss
	}
	return sentry.SpanStatusInternalError
}

// status maps the span's HTTP status code, else its gRPC code: the integer
// rpc.grpc.status_code, else rpc.response.status_code, a code name such as
// NOT_FOUND (or, for gRPC, a decimal code). It returns SpanStatusUndefined
// when the span carries none of them or none that maps.
func (a *spanAttrs) status() sentry.SpanStatus {
	if ss := httpStatusToSentry(int(clampCode(a.httpStatus))); ss != sentry.SpanStatusUndefined {
		return ss
	}
	if a.hasGRPCStatus {
		return grpcCodeToSentry(int(clampCode(a.grpcStatus)))
	}
	if a.rpcResponseStatus == "" {
		return sentry.SpanStatusUndefined
	}
	if code, ok := grpcCodeFromName(a.rpcResponseStatus); ok {
		return grpcCodeToSentry(code)
	}
	if a.rpcSystem == rpcSystemGRPC {
		if code, err := strconv.Atoi(a.rpcResponseStatus); err == nil {
			return grpcCodeToSentry(code)
		}
	}
	return sentry.SpanStatusUndefined
}

// clampCode keeps a status code attribute within the range of a 32-bit int,
// so that a huge value cannot wrap around into a valid code.
func clampCode(c int64) int64 {
	const limit = 1 << 31
	if c > limit || c < -limit {
		return -1
	}
	return c
}

// httpStatusToSentry maps an HTTP status code to a Sentry status with the
// table of Sentry's JavaScript and Python SDKs: 1xx to 3xx are ok, 400
// invalid_argument, 401 unauthenticated, 403 permission_denied, 404
// not_found, 409 already_exists, 413 failed_precondition, 429
// resource_exhausted, 499 cancelled, other 4xx invalid_argument, 500
// internal_error, 501 unimplemented, 503 unavailable, 504
// deadline_exceeded, other 5xx internal_error. It returns
// SpanStatusUndefined for a number that is not an HTTP status code
// (below 100 or above 599).
func httpStatusToSentry(code int) sentry.SpanStatus {
	switch {
	case code < 100 || code > 599:
		return sentry.SpanStatusUndefined
	case code < 400:
		return sentry.SpanStatusOK
	}
	switch code {
	case 400:
		return sentry.SpanStatusInvalidArgument
	case 401:
		return sentry.SpanStatusUnauthenticated
	case 403:
		return sentry.SpanStatusPermissionDenied
	case 404:
		return sentry.SpanStatusNotFound
	case 409:
		return sentry.SpanStatusAlreadyExists
	case 413:
		return sentry.SpanStatusFailedPrecondition
	case 429:
		return sentry.SpanStatusResourceExhausted
	case 499:
		return sentry.SpanStatusCanceled
	case 500:
		return sentry.SpanStatusInternalError
	case 501:
		return sentry.SpanStatusUnimplemented
	case 503:
		return sentry.SpanStatusUnavailable
	case 504:
		return sentry.SpanStatusDeadlineExceeded
	}
	if code < 500 {
		return sentry.SpanStatusInvalidArgument
	}
	return sentry.SpanStatusInternalError
}

// grpcCodeToSentry maps a gRPC status code to the Sentry status of the same
// name: 0 is ok, 1 to 16 are cancelled, unknown_error, invalid_argument,
// deadline_exceeded, not_found, already_exists, permission_denied,
// resource_exhausted, failed_precondition, aborted, out_of_range,
// unimplemented, internal_error, unavailable, data_loss and
// unauthenticated. It returns SpanStatusUndefined for any other number.
func grpcCodeToSentry(code int) sentry.SpanStatus {
	statuses := [...]sentry.SpanStatus{
		sentry.SpanStatusOK,
		sentry.SpanStatusCanceled,
		sentry.SpanStatusUnknown,
		sentry.SpanStatusInvalidArgument,
		sentry.SpanStatusDeadlineExceeded,
		sentry.SpanStatusNotFound,
		sentry.SpanStatusAlreadyExists,
		sentry.SpanStatusPermissionDenied,
		sentry.SpanStatusResourceExhausted,
		sentry.SpanStatusFailedPrecondition,
		sentry.SpanStatusAborted,
		sentry.SpanStatusOutOfRange,
		sentry.SpanStatusUnimplemented,
		sentry.SpanStatusInternalError,
		sentry.SpanStatusUnavailable,
		sentry.SpanStatusDataLoss,
		sentry.SpanStatusUnauthenticated,
	}
	if code < 0 || code >= len(statuses) {
		return sentry.SpanStatusUndefined
	}
	return statuses[code]
}

// grpcCodeFromName returns the gRPC code named name: gRPC's canonical
// upper-case names (NOT_FOUND), as rpc.response.status_code records them,
// or Connect's lower-case ones (not_found, canceled).
func grpcCodeFromName(name string) (int, bool) {
	switch name {
	case "OK", "ok":
		return 0, true
	case "CANCELLED", "CANCELED", "cancelled", "canceled":
		return 1, true
	case "UNKNOWN", "unknown":
		return 2, true
	case "INVALID_ARGUMENT", "invalid_argument":
		return 3, true
	case "DEADLINE_EXCEEDED", "deadline_exceeded":
		return 4, true
	case "NOT_FOUND", "not_found":
		return 5, true
	case "ALREADY_EXISTS", "already_exists":
		return 6, true
	case "PERMISSION_DENIED", "permission_denied":
		return 7, true
	case "RESOURCE_EXHAUSTED", "resource_exhausted":
		return 8, true
	case "FAILED_PRECONDITION", "failed_precondition":
		return 9, true
	case "ABORTED", "aborted":
		return 10, true
	case "OUT_OF_RANGE", "out_of_range":
		return 11, true
	case "UNIMPLEMENTED", "unimplemented":
		return 12, true
	case "INTERNAL", "internal":
		return 13, true
	case "UNAVAILABLE", "unavailable":
		return 14, true
	case "DATA_LOSS", "data_loss":
		return 15, true
	case "UNAUTHENTICATED", "unauthenticated":
		return 16, true
	}
	return 0, false
}

// spanStatusFromName returns the Sentry status named name, one of the
// values of SPEC §6. It also accepts "unknown", the name sentry-go and
// Sentry's ingestion use for unknown_error.
func spanStatusFromName(name string) (sentry.SpanStatus, bool) {
	if name == "unknown_error" {
		return sentry.SpanStatusUnknown, true
	}
	for ss := sentry.SpanStatusOK; ss <= sentry.SpanStatusUnauthenticated; ss++ {
		if ss.String() == name {
			return ss, true
		}
	}
	return sentry.SpanStatusUndefined, false
}
