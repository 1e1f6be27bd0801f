package wablock

/*
#include "wablock.h"
*/
import "C"

import (
	"fmt"
	"time"
)

// Kind is the kind of a failed call: the fixed docs/behaviour.md §3.2 code, the same number as the C
// status. New kinds get new numbers; a number never changes meaning.
type Kind int

// The kinds of docs/behaviour.md §3.2 (plus Cancelled, wablock's addition).
const (
	KindInvalidArgument  Kind = 1
	KindAuth             Kind = 2
	KindRateLimited      Kind = 3
	KindBlocklistFull    Kind = 4
	KindConcurrentUpdate Kind = 5
	KindServer           Kind = 6
	KindRejected         Kind = 7
	KindNetwork          Kind = 8
	KindTimeout          Kind = 9
	KindProtocol         Kind = 10
	KindInternal         Kind = 11
	KindCancelled        Kind = 12
)

// String is the canonical name, e.g. "RATE_LIMITED".
func (k Kind) String() string {
	if k == 0 {
		return "OK"
	}
	name := C.wablock_status_name(C.int32_t(k))
	if name == nil {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return C.GoString(name)
}

// kindSentinel is the type of the Err* sentinels: errors.Is(err, ErrAuth) is true for every
// *Error of kind KindAuth.
type kindSentinel Kind

func (s kindSentinel) Error() string { return "wablock: " + Kind(s).String() }

// Sentinels for errors.Is, one per kind.
var (
	ErrInvalidArgument  error = kindSentinel(KindInvalidArgument)
	ErrAuth             error = kindSentinel(KindAuth)
	ErrRateLimited      error = kindSentinel(KindRateLimited)
	ErrBlocklistFull    error = kindSentinel(KindBlocklistFull)
	ErrConcurrentUpdate error = kindSentinel(KindConcurrentUpdate)
	ErrServer           error = kindSentinel(KindServer)
	ErrRejected         error = kindSentinel(KindRejected)
	ErrNetwork          error = kindSentinel(KindNetwork)
	ErrTimeout          error = kindSentinel(KindTimeout)
	ErrProtocol         error = kindSentinel(KindProtocol)
	ErrInternal         error = kindSentinel(KindInternal)
	ErrCancelled        error = kindSentinel(KindCancelled)
)

// Error is a call that failed as a whole (docs/behaviour.md §3.2). It still accounts for every input:
// users whose batch finished are in Partial, the rest in NotAttempted.
type Error struct {
	// Kind is one of the fixed kinds; test it with errors.Is(err, wablock.ErrAuth) and so on.
	Kind Kind
	// Message says what went wrong, for a person. It never contains the token or API key.
	Message string
	// HTTPStatus of the failing response, or nil.
	HTTPStatus *int
	// Code is the Graph error code, or nil.
	Code *int64
	// Subcode is the Graph error_subcode, or nil.
	Subcode *int64
	// Details is the Graph error_data.details, or "".
	Details string
	// FBTraceID is Meta's trace id for support tickets, or "".
	FBTraceID string
	// Retryable says whether the same call may succeed if tried again later.
	Retryable bool
	// RetryAfter is how long the server asked the caller to wait, or nil.
	RetryAfter *time.Duration
	// Partial is the outcome of the users whose batches finished before the failure, or nil.
	Partial *Outcome
	// NotAttempted lists the inputs neither confirmed nor refused, in input order.
	NotAttempted []string

	canonical string
	display   string
	cause     error // the context error behind a KindCancelled, or nil
}

// Error is the core's one-line text for the error, the same in every language: the kind, the
// message, and the Graph code when there is one, e.g.
// "AUTH: Invalid OAuth access token (code 190)". (An Error not made by this package has only
// its Message.)
func (e *Error) Error() string {
	if e.display == "" {
		return e.Message
	}
	return e.display
}

// Is makes errors.Is(err, wablock.ErrAuth) (and the other sentinels) match on the kind.
func (e *Error) Is(target error) bool {
	s, ok := target.(kindSentinel)
	return ok && Kind(s) == e.Kind
}

// CanonicalJSON is the error as docs/behaviour.md §5 canonical JSON: {"error":{…}}, keys sorted, compact.
// It is the core's own text, byte for byte the same in every language.
func (e *Error) CanonicalJSON() string { return e.canonical }

// takeError converts and frees the error a failing C call wrote. The C library writes one on
// every failure when err_out is given, as it always is here; nil would be a bug in this
// package, not a condition to report.
func takeError(status C.wablock_status, cerr *C.wablock_error) *Error {
	if cerr == nil {
		panic("wablock: a C call failed with status " + Kind(status).String() + " and wrote no error")
	}
	defer C.wablock_error_free(cerr)
	return convertError(cerr)
}

func convertError(cerr *C.wablock_error) *Error {
	e := &Error{
		Kind:      Kind(C.wablock_error_kind(cerr)),
		Message:   C.GoString(C.wablock_error_message(cerr)),
		display:   C.GoString(C.wablock_error_display(cerr)),
		Details:   goStringOrEmpty(C.wablock_error_details(cerr)),
		FBTraceID: goStringOrEmpty(C.wablock_error_fbtrace_id(cerr)),
		Retryable: bool(C.wablock_error_retryable(cerr)),
	}
	var status C.uint16_t
	if C.wablock_error_http_status(cerr, &status) {
		v := int(status)
		e.HTTPStatus = &v
	}
	var code C.int64_t
	if C.wablock_error_code(cerr, &code) {
		v := int64(code)
		e.Code = &v
	}
	var sub C.int64_t
	if C.wablock_error_subcode(cerr, &sub) {
		v := int64(sub)
		e.Subcode = &v
	}
	var ms C.uint64_t
	if C.wablock_error_retry_after_ms(cerr, &ms) {
		v := time.Duration(ms) * time.Millisecond
		e.RetryAfter = &v
	}
	if p := C.wablock_error_partial(cerr); p != nil {
		e.Partial = convertOutcome(p)
	}
	n := int(C.wablock_error_not_attempted_count(cerr))
	e.NotAttempted = make([]string, 0, n)
	for i := 0; i < n; i++ {
		var n C.size_t
		input := C.wablock_error_not_attempted_get(cerr, C.size_t(i), &n)
		e.NotAttempted = append(e.NotAttempted, C.GoStringN(input, C.int(n)))
	}
	e.canonical = takeString(C.wablock_error_to_json(cerr))
	return e
}

func goStringOrEmpty(s *C.char) string {
	if s == nil {
		return ""
	}
	return C.GoString(s)
}
