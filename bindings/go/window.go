package wablock

/*
#include <stdint.h>
#include <stdlib.h>
#include "wablock.h"
*/
import "C"

import (
	"context"
	"runtime"
	"time"
	"unsafe"
)

// WindowErrorKind is the kind of a failed Window call: the wablock-window crate's ErrorKind,
// by its name.
type WindowErrorKind string

// The kinds of the window's errors (docs/window.md "Errors").
const (
	// WindowInvalidArgument: no client for that number, an empty list, a bad store location
	// or user.
	WindowInvalidArgument WindowErrorKind = "INVALID_ARGUMENT"
	// WindowSignature: the webhook's X-Hub-Signature-256 is missing, unreadable or wrong;
	// nothing of the payload was recorded.
	WindowSignature WindowErrorKind = "SIGNATURE"
	// WindowMalformed: the body is not a WhatsApp Business webhook payload; nothing of it was
	// recorded.
	WindowMalformed WindowErrorKind = "MALFORMED"
	// WindowStore: the store (SQLite or PostgreSQL) failed; the message says which operation.
	WindowStore WindowErrorKind = "STORE"
	// WindowBlock: the block call failed as a whole; Block is the core's error, with its
	// accounting (Partial, NotAttempted). Nothing was queued.
	WindowBlock WindowErrorKind = "BLOCK"
)

// WindowError is a Window call that failed, as the wablock-window crate reports it. Its text
// (Error()) is the crate's, the same in every language, and never holds the app secret, a token
// or a database password.
//
// For WindowBlock, Block is the core's *Error and Unwrap returns it, so
// errors.As(err, &coreErr) and errors.Is(err, wablock.ErrAuth) see the block call's failure.
type WindowError struct {
	Kind WindowErrorKind
	// Message says what went wrong and what to do.
	Message string
	// Block is the core's error when Kind is WindowBlock, else nil.
	Block *Error

	display   string
	canonical string
}

// Error is the crate's one line, e.g. "SIGNATURE: X-Hub-Signature-256 does not match …".
func (e *WindowError) Error() string { return e.display }

// CanonicalJSON is {"error":{…}}, the crate's own text in the core's error shape: for
// WindowBlock the core's error with its accounting, otherwise the window's kind and message.
func (e *WindowError) CanonicalJSON() string { return e.canonical }

// Unwrap returns the core's error behind a WindowBlock error, or nil.
func (e *WindowError) Unwrap() error {
	if e.Block == nil {
		return nil
	}
	return e.Block
}

// takeWindowError converts and frees the error a failing wablock_window_* call wrote: a
// *WindowError, or the core's *Error when the C layer itself refused the call (a closed
// Window, a panic caught as KindInternal).
func takeWindowError(status C.wablock_status, cerr *C.wablock_error) error {
	if cerr == nil {
		panic("wablock: a C call failed with status " + Kind(status).String() + " and wrote no error")
	}
	defer C.wablock_error_free(cerr)
	kind := C.wablock_error_window_kind(cerr)
	if kind == nil {
		return convertError(cerr)
	}
	e := &WindowError{
		Kind:      WindowErrorKind(C.GoString(kind)),
		Message:   C.GoString(C.wablock_error_message(cerr)),
		display:   C.GoString(C.wablock_error_display(cerr)),
		canonical: takeString(C.wablock_error_to_json(cerr)),
	}
	if b := C.wablock_error_block_error(cerr); b != nil {
		e.Block = convertError(b)
	}
	return e
}

// WindowOption changes a setting of a Window when it is opened.
type WindowOption func(*C.wablock_window, **C.wablock_error) C.wablock_status

// WithWindowClient sets the client that blocks for phoneNumberID (one per business number).
// The window keeps its own reference to the client's connections: closing the Client later
// does not affect it.
func WithWindowClient(phoneNumberID string, client *Client) WindowOption {
	return func(w *C.wablock_window, e **C.wablock_error) C.wablock_status {
		id := newCString(phoneNumberID)
		defer id.free()
		var c *C.wablock_client
		if client != nil {
			c = client.ptr
		}
		st := C.wablock_window_add_client(w, id.view, c, e)
		runtime.KeepAlive(client)
		return st
	}
}

// WithAppSecret sets the Meta app secret: every ingested payload must then carry a valid
// X-Hub-Signature-256. Without it, signatures are not checked (only for receivers that
// authenticate payloads some other way).
func WithAppSecret(secret string) WindowOption {
	return func(w *C.wablock_window, e **C.wablock_error) C.wablock_status {
		s := newCString(secret)
		defer s.free()
		return C.wablock_window_set_app_secret(w, s.view, e)
	}
}

// WithLease sets how long a claim on a queued block holds before another process may take it
// up (default 60 s), in whole milliseconds. Make it longer than a block call can take, retries
// included. A negative duration is refused (KindInvalidArgument).
func WithLease(d time.Duration) WindowOption {
	return func(w *C.wablock_window, e **C.wablock_error) C.wablock_status {
		return C.wablock_window_set_lease_ms(w, millis(d), e)
	}
}

// Window holds blocks that wait for WhatsApp's 24-hour window (docs/window.md): users refused
// with REENGAGEMENT_REQUIRED are queued in a store and blocked when a webhook shows they wrote
// in. It is safe for concurrent use. Close it when done: that releases the store's connection
// once calls in flight have finished; the small C handle left is freed by the garbage
// collector.
//
// Every method takes a context first. BlockWhenPossible, Ingest and ProcessPending, which make
// block calls, observe it during the call, as the Client's methods do: a context that can be
// cancelled gets a core cancel handle and a window observing it (wablock_window_with_cancel),
// triggered when the context is done. A cancelled BlockWhenPossible fails as Client.Block does
// (a WindowBlock error wrapping the core's KindCancelled *Error, with Partial and
// NotAttempted; nothing queued); Ingest and ProcessPending with a context already done fail
// the same way and record nothing; cancelled once under way, they return the report of what
// was done (see Ingest). A cancel error unwraps to ctx.Err(), so errors.Is(err,
// context.Canceled) or errors.Is(err, context.DeadlineExceeded) holds. State, Pending and
// CancelPending are single store operations: the context is checked before they start (a
// done context returns ctx.Err() and nothing is done).
type Window struct {
	ptr *C.wablock_window
}

// OpenWindow opens (creating and migrating if needed) the store at store (a SQLite file path,
// or a postgres:// URL), and a Window over it configured by opts.
func OpenWindow(ctx context.Context, store string, opts ...WindowOption) (*Window, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	loc := newCString(store)
	defer loc.free()
	return openWindow(func(w **C.wablock_window, e **C.wablock_error) C.wablock_status {
		return C.wablock_window_new(loc.view, w, e)
	}, opts)
}

// OpenDefaultWindow is OpenWindow on the default store, the SQLite file
// <data dir>/wablock/window.db (~/.local/share/wablock/window.db on Linux).
func OpenDefaultWindow(ctx context.Context, opts ...WindowOption) (*Window, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	return openWindow(func(w **C.wablock_window, e **C.wablock_error) C.wablock_status {
		return C.wablock_window_new_default(w, e)
	}, opts)
}

func openWindow(open func(**C.wablock_window, **C.wablock_error) C.wablock_status, opts []WindowOption) (*Window, error) {
	var w *C.wablock_window
	var cerr *C.wablock_error
	if st := open(&w, &cerr); st != C.WABLOCK_OK {
		return nil, takeWindowError(st, cerr)
	}
	for _, o := range opts {
		if st := o(w, &cerr); st != C.WABLOCK_OK {
			C.wablock_window_free(w)
			return nil, takeWindowError(st, cerr)
		}
	}
	window := &Window{ptr: w}
	runtime.SetFinalizer(window, func(w *Window) { C.wablock_window_free(w.ptr) })
	return window, nil
}

func ctxErr(ctx context.Context) error {
	if ctx == nil {
		panic("wablock: nil context.Context (use context.Background())")
	}
	return ctx.Err()
}

// Close releases the store's connection once calls in flight have finished; later calls fail
// with KindInvalidArgument ("the window is closed"). Closing twice is harmless. It never fails.
func (w *Window) Close() error {
	C.wablock_window_close(w.ptr)
	runtime.KeepAlive(w)
	return nil
}

// WhenPossible is the result of BlockWhenPossible.
type WhenPossible struct {
	// Outcome is the core's: every input exactly once, in Succeeded or Failed.
	Outcome *Outcome
	// Queued lists the inputs refused with REENGAGEMENT_REQUIRED and now queued (each also in
	// Outcome.Failed), in input order.
	Queued []string

	canonical string
}

// CanonicalJSON is {"outcome":{…},"queued":[…]}, the crate's own text (the CLI's
// block --when-possible --json).
func (r *WhenPossible) CanonicalJSON() string { return r.canonical }

// BlockWhenPossible blocks users on phoneNumberID now, with that number's client; those
// refused with REENGAGEMENT_REQUIRED are queued and blocked when they next write in. When the
// block call fails as a whole the error is a *WindowError of kind WindowBlock wrapping the
// core's *Error (with Partial and NotAttempted), and nothing is queued. Cancelling ctx stops
// it as it stops Client.Block: the core's error is then KindCancelled and unwraps to ctx.Err().
func (w *Window) BlockWhenPossible(ctx context.Context, phoneNumberID string, users []string) (*WhenPossible, error) {
	id := newCString(phoneNumberID)
	defer id.free()
	list := newCStringList(users)
	defer list.free()
	var r *C.wablock_when_possible
	var cerr *C.wablock_error
	s, err := w.scope(ctx)
	if err != nil {
		return nil, err
	}
	st := C.wablock_window_block_when_possible(s.window, id.view, list.views, C.size_t(len(users)), &r, &cerr)
	s.end()
	runtime.KeepAlive(w)
	if st != C.WABLOCK_OK {
		return nil, s.wrapWindow(takeWindowError(st, cerr))
	}
	defer C.wablock_when_possible_free(r)
	n := int(C.wablock_when_possible_queued_count(r))
	result := &WhenPossible{
		Outcome:   convertOutcome(C.wablock_when_possible_outcome(r)),
		Queued:    make([]string, 0, n),
		canonical: takeString(C.wablock_when_possible_to_json(r)),
	}
	for i := 0; i < n; i++ {
		var l C.size_t
		s := C.wablock_when_possible_queued_get(r, C.size_t(i), &l)
		result.Queued = append(result.Queued, C.GoStringN(s, C.int(l)))
	}
	return result, nil
}

// QueuedBlock is what happened to one queued block that Ingest or ProcessPending took up.
type QueuedBlock struct {
	PhoneNumberID string
	User          string // the user's identity: WA ID digits or BSUID
	Input         string // the caller's original string, as queued and sent
	// Outcome is the block call's outcome, or nil when it failed as a whole (then Err).
	Outcome *Outcome
	// Err is the core's error when the block call failed as a whole, else nil.
	Err *Error
	// StillPending is true when the block stays queued (a retryable failure, or the server
	// still asks for re-engagement); false when it is done (blocked, or refused for good).
	StillPending bool

	canonical string
}

// CanonicalJSON is {"input",…,"outcome"|"error",…,"still_pending",…}, the crate's own text.
func (q *QueuedBlock) CanonicalJSON() string { return q.canonical }

// convertQueuedBlocks copies a list of queued blocks; a block's KindCancelled Err is tied to
// the context of s, the scope of the call that made the list.
func convertQueuedBlocks(s *callScope, list *C.wablock_queued_blocks) []QueuedBlock {
	n := int(C.wablock_queued_blocks_count(list))
	blocks := make([]QueuedBlock, 0, n)
	for i := 0; i < n; i++ {
		var b C.wablock_queued_block
		if C.wablock_queued_blocks_get(list, C.size_t(i), &b, nil) != C.WABLOCK_OK {
			continue
		}
		q := QueuedBlock{
			PhoneNumberID: C.GoString(b.phone_number_id),
			User:          C.GoString(b.user),
			Input:         C.GoStringN(b.input, C.int(b.input_len)),
			StillPending:  bool(b.still_pending),
			canonical:     C.GoString(b.json),
		}
		if b.outcome != nil {
			q.Outcome = convertOutcome(b.outcome)
		}
		if b.error != nil {
			q.Err = convertError(b.error)
			s.tie(q.Err)
		}
		blocks = append(blocks, q)
	}
	return blocks
}

// IngestReport is the result of Ingest.
type IngestReport struct {
	Messages    int // inbound messages in the payload
	NewMessages int // of those, messages not seen before (a redelivery has none)
	// Blocks are the queued blocks taken up during this ingest.
	Blocks []QueuedBlock

	canonical string
}

// CanonicalJSON is {"ingest":{"blocks":[…],"messages":…,"new_messages":…}}, the crate's own
// text (the CLI's webhook ingest --json).
func (r *IngestReport) CanonicalJSON() string { return r.canonical }

// Ingest verifies, parses and records one webhook payload, then blocks the queued users whose
// window is open. body is the raw request body exactly as received; signature the
// X-Hub-Signature-256 header as received ("" when there was none): in an http.Handler,
// r.Header.Get("X-Hub-Signature-256"). A bad signature is WindowSignature, a body that is not
// a webhook payload WindowMalformed; nothing of it is recorded then. A queued block that fails
// is not an error of the call: it is in the report. The same payload again records nothing.
//
// Cancelling ctx: a context already done fails the call with a WindowBlock error wrapping the
// core's KindCancelled *Error, and nothing is recorded. Once the payload is recorded, a cancel
// takes up no further queued block: the block in flight, if any, ends with a KindCancelled Err
// (unwrapping to ctx.Err()) and StillPending, and Ingest returns the report of what was done
// with a nil error, as Fleet.Block returns its entries; the blocks not taken up stay queued for
// the next webhook or ProcessPending. Check ctx.Err() to know whether it was cut short.
func (w *Window) Ingest(ctx context.Context, body []byte, signature string) (*IngestReport, error) {
	var data *C.uint8_t
	if len(body) > 0 {
		data = (*C.uint8_t)(C.CBytes(body))
		defer C.free(unsafe.Pointer(data))
	}
	sig := newCString(signature)
	defer sig.free()
	var r *C.wablock_ingest_report
	var cerr *C.wablock_error
	s, err := w.scope(ctx)
	if err != nil {
		return nil, err
	}
	st := C.wablock_window_ingest(s.window, data, C.size_t(len(body)), &sig.view, &r, &cerr)
	s.end()
	runtime.KeepAlive(w)
	if st != C.WABLOCK_OK {
		return nil, s.wrapWindow(takeWindowError(st, cerr))
	}
	defer C.wablock_ingest_report_free(r)
	return &IngestReport{
		Messages:    int(C.wablock_ingest_report_messages(r)),
		NewMessages: int(C.wablock_ingest_report_new_messages(r)),
		Blocks:      convertQueuedBlocks(s, C.wablock_ingest_report_blocks(r)),
		canonical:   takeString(C.wablock_ingest_report_to_json(r)),
	}, nil
}

// ProcessPending blocks every queued user whose window is open and whose block no live
// process holds (users who wrote in, and blocks whose claim expired), without a new webhook.
// Cancelling ctx works as for Ingest: done before the call, a WindowBlock/KindCancelled error
// and nothing done; during it, the blocks made so far (the one in flight KindCancelled and
// StillPending) with a nil error, the rest still queued.
func (w *Window) ProcessPending(ctx context.Context) ([]QueuedBlock, error) {
	var r *C.wablock_queued_blocks
	var cerr *C.wablock_error
	s, err := w.scope(ctx)
	if err != nil {
		return nil, err
	}
	st := C.wablock_window_process_pending(s.window, &r, &cerr)
	s.end()
	runtime.KeepAlive(w)
	if st != C.WABLOCK_OK {
		return nil, s.wrapWindow(takeWindowError(st, cerr))
	}
	defer C.wablock_queued_blocks_free(r)
	return convertQueuedBlocks(s, r), nil
}

// WindowStateKind says whether a user may be blocked now.
type WindowStateKind int

// The three answers of Window.State.
const (
	// WindowUnknown: no message from this user to this number is recorded.
	WindowUnknown WindowStateKind = C.WABLOCK_WINDOW_UNKNOWN
	// WindowOpen: the user wrote in less than 24 hours ago; a block is accepted until At.
	WindowOpen WindowStateKind = C.WABLOCK_WINDOW_OPEN
	// WindowClosed: the user's last message is older; blocks are refused since At.
	WindowClosed WindowStateKind = C.WABLOCK_WINDOW_CLOSED
)

// WindowState is the answer of Window.State.
type WindowState struct {
	Kind WindowStateKind
	// At is when the window closes (WindowOpen) or closed (WindowClosed); the zero Time for
	// WindowUnknown.
	At time.Time
}

// State says whether user may be blocked on phoneNumberID now: the 24 hours run from the
// timestamp of the user's latest recorded message.
func (w *Window) State(ctx context.Context, phoneNumberID, user string) (WindowState, error) {
	if err := ctxErr(ctx); err != nil {
		return WindowState{}, err
	}
	id := newCString(phoneNumberID)
	defer id.free()
	u := newCString(user)
	defer u.free()
	var s C.wablock_window_state
	var cerr *C.wablock_error
	st := C.wablock_window_window_state(w.ptr, id.view, u.view, &s, &cerr)
	runtime.KeepAlive(w)
	if st != C.WABLOCK_OK {
		return WindowState{}, takeWindowError(st, cerr)
	}
	state := WindowState{Kind: WindowStateKind(s.kind)}
	if state.Kind != WindowUnknown {
		state.At = time.UnixMilli(int64(s.at_ms))
	}
	return state, nil
}

// PendingBlock is a queued block, waiting for the user to write in.
type PendingBlock struct {
	PhoneNumberID string
	User          string    // the user's identity: WA ID digits or BSUID
	Input         string    // the caller's original string, sent as is when the block is made
	CreatedAt     time.Time // when it was queued
	// ClaimOwner is the process holding it right now, or "" (claims expire).
	ClaimOwner string
	// ClaimedUntil is until when that claim holds (the Unix epoch when unclaimed).
	ClaimedUntil time.Time
}

// PendingList is every queued block, oldest first.
type PendingList struct {
	Blocks []PendingBlock

	canonical string
}

// CanonicalJSON is {"pending":[{…}…]}, the crate's own text (the CLI's pending --json).
func (p *PendingList) CanonicalJSON() string { return p.canonical }

// Pending lists every queued block, oldest first.
func (w *Window) Pending(ctx context.Context) (*PendingList, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	var r *C.wablock_pending_list
	var cerr *C.wablock_error
	st := C.wablock_window_pending(w.ptr, &r, &cerr)
	runtime.KeepAlive(w)
	if st != C.WABLOCK_OK {
		return nil, takeWindowError(st, cerr)
	}
	defer C.wablock_pending_list_free(r)
	n := int(C.wablock_pending_list_count(r))
	list := &PendingList{Blocks: make([]PendingBlock, 0, n), canonical: takeString(C.wablock_pending_list_to_json(r))}
	for i := 0; i < n; i++ {
		var p C.wablock_pending_block
		if C.wablock_pending_list_get(r, C.size_t(i), &p, nil) != C.WABLOCK_OK {
			continue
		}
		list.Blocks = append(list.Blocks, PendingBlock{
			PhoneNumberID: C.GoString(p.phone_number_id),
			User:          C.GoString(p.user),
			Input:         C.GoStringN(p.input, C.int(p.input_len)),
			CreatedAt:     time.UnixMilli(int64(p.created_at_ms)),
			ClaimOwner:    goStringOrEmpty(p.claim_owner),
			ClaimedUntil:  time.UnixMilli(int64(p.claimed_until_ms)),
		})
	}
	return list, nil
}

// InvalidInput is an input of CancelPending that is not a phone number, WA ID or BSUID.
type InvalidInput struct {
	Input  string
	Reason string // the core's words
}

// Cancelled is the result of CancelPending: every input exactly once, each list in input
// order.
type Cancelled struct {
	Cancelled  []string       // inputs whose queued block was removed
	NotPending []string       // inputs that had no queued block on that number
	Invalid    []InvalidInput // inputs that are not users, with the reason
}

// CancelPending removes the queued blocks of users on phoneNumberID. An empty list is
// WindowInvalidArgument.
func (w *Window) CancelPending(ctx context.Context, phoneNumberID string, users []string) (*Cancelled, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	id := newCString(phoneNumberID)
	defer id.free()
	list := newCStringList(users)
	defer list.free()
	var r *C.wablock_cancelled
	var cerr *C.wablock_error
	st := C.wablock_window_cancel_pending(w.ptr, id.view, list.views, C.size_t(len(users)), &r, &cerr)
	runtime.KeepAlive(w)
	if st != C.WABLOCK_OK {
		return nil, takeWindowError(st, cerr)
	}
	defer C.wablock_cancelled_free(r)
	read := func(which C.int32_t) []string {
		n := int(C.wablock_cancelled_count(r, which))
		out := make([]string, 0, n)
		for i := 0; i < n; i++ {
			var l C.size_t
			s := C.wablock_cancelled_get(r, which, C.size_t(i), &l, nil)
			out = append(out, C.GoStringN(s, C.int(l)))
		}
		return out
	}
	c := &Cancelled{
		Cancelled:  read(C.WABLOCK_CANCELLED_CANCELLED),
		NotPending: read(C.WABLOCK_CANCELLED_NOT_PENDING),
	}
	n := int(C.wablock_cancelled_count(r, C.WABLOCK_CANCELLED_INVALID))
	for i := 0; i < n; i++ {
		var l C.size_t
		var why *C.char
		s := C.wablock_cancelled_get(r, C.WABLOCK_CANCELLED_INVALID, C.size_t(i), &l, &why)
		c.Invalid = append(c.Invalid, InvalidInput{Input: C.GoStringN(s, C.int(l)), Reason: goStringOrEmpty(why)})
	}
	return c, nil
}
