package wablock

/*
#include "wablock.h"
*/
import "C"

// Operation is block or unblock.
type Operation string

// The two mutations.
const (
	OperationBlock   Operation = "block"
	OperationUnblock Operation = "unblock"
)

// Reason says why one user was not blocked or unblocked. The numbering follows the C enum
// (and the core's Reason::ALL).
type Reason int

// The reasons of docs/behaviour.md §3.1.
const (
	ReasonReengagementRequired Reason = 0
	ReasonSelfBlock            Reason = 1
	ReasonBlocklistFull        Reason = 2
	ReasonRateLimited          Reason = 3
	ReasonServer               Reason = 4
	ReasonInvalidUser          Reason = 5
	ReasonUnconfirmed          Reason = 6
	ReasonOther                Reason = 7
)

// String is the canonical name, e.g. "SELF_BLOCK".
func (r Reason) String() string {
	return goStringOrEmpty(C.wablock_reason_name(C.int32_t(r)))
}

// Hint is the plain-language sentence every language shows for this reason.
func (r Reason) Hint() string {
	return goStringOrEmpty(C.wablock_reason_hint(C.int32_t(r)))
}

// Success is a user the server confirmed.
type Success struct {
	Input  string // the caller's string, exactly as passed
	Sent   string // what was sent for it after normalisation
	WaID   string // the WhatsApp ID the server reported, or ""
	UserID string // the business-scoped user ID the server reported, or ""
}

// Failure is a user that was not blocked (or unblocked), and why.
type Failure struct {
	Input   string // the caller's string, exactly as passed
	Sent    string // what was sent for it, or "" when it was never sent (ReasonInvalidUser)
	WaID    string // the WhatsApp ID the server reported, or ""
	UserID  string // the business-scoped user ID the server reported, or ""
	Reason  Reason
	Code    *int64 // the server's error code, or nil
	Message string // the server's message, or wablock's for client-side reasons
	Details string // the server's error_data.details, or ""
	Hint    string // one plain sentence a support agent can show a person
}

// Outcome is what happened to each user of a block or unblock call: every input appears
// exactly once, in Succeeded or Failed, each in the caller's input order.
type Outcome struct {
	Operation Operation
	Succeeded []Success
	Failed    []Failure
	Requests  int // HTTP requests made, retries included

	canonical string
}

// CanonicalJSON is the outcome as docs/behaviour.md §5 canonical JSON: {"outcome":{…}}, keys sorted,
// compact; the core's own text.
func (o *Outcome) CanonicalJSON() string { return o.canonical }

func convertOutcome(co *C.wablock_outcome) *Outcome {
	o := &Outcome{Operation: OperationBlock, Requests: int(C.wablock_outcome_requests(co))}
	if C.wablock_outcome_operation(co) == C.WABLOCK_OPERATION_UNBLOCK {
		o.Operation = OperationUnblock
	}
	ns := int(C.wablock_outcome_succeeded_count(co))
	o.Succeeded = make([]Success, 0, ns)
	for i := 0; i < ns; i++ {
		var s C.wablock_success
		if C.wablock_outcome_succeeded_get(co, C.size_t(i), &s, nil) != C.WABLOCK_OK {
			continue
		}
		o.Succeeded = append(o.Succeeded, Success{
			Input:  C.GoStringN(s.input, C.int(s.input_len)),
			Sent:   C.GoString(s.sent),
			WaID:   goStringOrEmpty(s.wa_id),
			UserID: goStringOrEmpty(s.user_id),
		})
	}
	nf := int(C.wablock_outcome_failed_count(co))
	o.Failed = make([]Failure, 0, nf)
	for i := 0; i < nf; i++ {
		var f C.wablock_failure
		if C.wablock_outcome_failed_get(co, C.size_t(i), &f, nil) != C.WABLOCK_OK {
			continue
		}
		fail := Failure{
			Input:   C.GoStringN(f.input, C.int(f.input_len)),
			Sent:    goStringOrEmpty(f.sent),
			WaID:    goStringOrEmpty(f.wa_id),
			UserID:  goStringOrEmpty(f.user_id),
			Reason:  Reason(f.reason),
			Message: C.GoString(f.message),
			Details: goStringOrEmpty(f.details),
			Hint:    C.GoString(f.hint),
		}
		if f.has_code {
			code := int64(f.code)
			fail.Code = &code
		}
		o.Failed = append(o.Failed, fail)
	}
	o.canonical = takeString(C.wablock_outcome_to_json(co))
	return o
}

// BlockedUser is a blocked user as the list reports it: a WA ID, a BSUID, or both.
type BlockedUser struct {
	WaID   string // the user's WhatsApp ID, or ""
	UserID string // the user's business-scoped user ID, or ""
}

// Page is one page of the blocklist.
type Page struct {
	Users   []BlockedUser
	After   string // cursor for the next page, or ""
	Before  string // cursor for the previous page, or ""
	HasMore bool

	canonical string
}

// CanonicalJSON is the page as docs/behaviour.md §5 canonical JSON: {"page":{…}}; the core's own text.
func (p *Page) CanonicalJSON() string { return p.canonical }

func convertUser(u C.wablock_blocked_user) BlockedUser {
	return BlockedUser{WaID: goStringOrEmpty(u.wa_id), UserID: goStringOrEmpty(u.user_id)}
}

func convertPage(cp *C.wablock_page) *Page {
	n := int(C.wablock_page_count(cp))
	p := &Page{
		Users:   make([]BlockedUser, 0, n),
		After:   goStringOrEmpty(C.wablock_page_after(cp)),
		Before:  goStringOrEmpty(C.wablock_page_before(cp)),
		HasMore: bool(C.wablock_page_has_more(cp)),
	}
	for i := 0; i < n; i++ {
		var u C.wablock_blocked_user
		if C.wablock_page_user_get(cp, C.size_t(i), &u, nil) == C.WABLOCK_OK {
			p.Users = append(p.Users, convertUser(u))
		}
	}
	p.canonical = takeString(C.wablock_page_to_json(cp))
	return p
}
