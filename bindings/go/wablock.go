// Package wablock blocks, unblocks and lists the users blocked on a WhatsApp Business phone
// number, through Meta's Cloud API or 360dialog. It is a thin cgo layer over libwablock (the
// Rust core's C ABI), so it fails exactly as every other wablock language does.
//
// Linking: cgo finds the installed libwablock through pkg-config (link_shared.go,
// link_static.go; docs/go.md).
//
// The package converts types and nothing else: every rule, error, message and JSON shape comes
// from the core through the C ABI, so a Go error reads exactly as it does in Rust, C, Python or
// Kotlin. Strings cross as (pointer, length) pairs, so a NUL byte is data: a user holding one
// fails alone, as ReasonInvalidUser. Numbers are passed as given, so a refusal names the value
// the caller passed.
//
// A Client is safe for concurrent use by many goroutines. Close it when done: that releases its
// connections at once; the small C handle left behind is freed by the garbage collector.
package wablock

/*
#include <stdint.h>
#include <stdlib.h>
#include "wablock.h"

extern int wablockGoProgress(size_t done, size_t total, void *user_data);

// A cgo.Handle travels through the C callback's void * untouched.
static void *wablock_handle_ptr(uintptr_t h) { return (void *)h; }
*/
import "C"

import (
	"context"
	"iter"
	"runtime"
	"runtime/cgo"
	"time"
	"unsafe"
)

// Version is the version of the linked libwablock, e.g. "0.1.0".
func Version() string { return C.GoString(C.wablock_version()) }

// cString is a C copy of a Go string, every byte kept (NUL included), and its view for the C
// API. Free it with free.
type cString struct {
	ptr  *C.char
	view C.wablock_str
}

func newCString(s string) cString {
	// C.CString copies all len(s) bytes; the C side reads exactly that many.
	p := C.CString(s)
	return cString{ptr: p, view: C.wablock_str{data: p, len: C.size_t(len(s))}}
}

func (s cString) free() { C.free(unsafe.Pointer(s.ptr)) }

// cStringList is a C copy of a list of Go strings: one buffer for the bytes, one array of views.
type cStringList struct {
	bytes unsafe.Pointer
	views *C.wablock_str
}

func newCStringList(items []string) cStringList {
	if len(items) == 0 {
		return cStringList{}
	}
	total := 0
	for _, s := range items {
		total += len(s)
	}
	l := cStringList{
		bytes: C.malloc(C.size_t(max(total, 1))),
		views: (*C.wablock_str)(C.malloc(C.size_t(len(items)) * C.size_t(unsafe.Sizeof(C.wablock_str{})))),
	}
	views := unsafe.Slice(l.views, len(items))
	buf := unsafe.Slice((*byte)(l.bytes), max(total, 1))
	off := 0
	for i, s := range items {
		n := copy(buf[off:], s)
		views[i] = C.wablock_str{data: (*C.char)(unsafe.Add(l.bytes, off)), len: C.size_t(n)}
		off += n
	}
	return l
}

func (l cStringList) free() {
	C.free(l.bytes)
	C.free(unsafe.Pointer(l.views))
}

// Option changes one setting of a client before it is built.
type Option struct {
	apply func(cfg *C.wablock_config, errOut **C.wablock_error) C.wablock_status
}

func stringOption(s string, set func(*C.wablock_config, C.wablock_str, **C.wablock_error) C.wablock_status) Option {
	return Option{func(cfg *C.wablock_config, errOut **C.wablock_error) C.wablock_status {
		cs := newCString(s)
		defer cs.free()
		return set(cfg, cs.view, errOut)
	}}
}

// WithBaseURL replaces the provider's base URL (a sandbox, a proxy). Plain http:// is
// accepted only for loopback hosts unless WithAllowInsecureHTTP(true).
func WithBaseURL(url string) Option {
	return stringOption(url, func(c *C.wablock_config, s C.wablock_str, e **C.wablock_error) C.wablock_status {
		return C.wablock_config_set_base_url(c, s, e)
	})
}

// WithAPIVersion sets the Graph API version, e.g. "v25.0" (Meta only).
func WithAPIVersion(version string) Option {
	return stringOption(version, func(c *C.wablock_config, s C.wablock_str, e **C.wablock_error) C.wablock_status {
		return C.wablock_config_set_api_version(c, s, e)
	})
}

// millis is d in whole milliseconds, negative values included: the core judges them.
func millis(d time.Duration) C.int64_t { return C.int64_t(d.Milliseconds()) }

// WithConnectTimeout sets the time allowed to open a connection (default 10 s).
func WithConnectTimeout(d time.Duration) Option {
	return Option{func(c *C.wablock_config, e **C.wablock_error) C.wablock_status {
		return C.wablock_config_set_connect_timeout_ms(c, millis(d), e)
	}}
}

// WithReadTimeout sets the time allowed to wait for a response and read it (default 30 s).
func WithReadTimeout(d time.Duration) Option {
	return Option{func(c *C.wablock_config, e **C.wablock_error) C.wablock_status {
		return C.wablock_config_set_read_timeout_ms(c, millis(d), e)
	}}
}

// WithDeadline bounds each whole call, retries and backoff included (default: none), in whole
// milliseconds. A negative duration is refused (KindInvalidArgument, naming the milliseconds).
func WithDeadline(d time.Duration) Option {
	return Option{func(c *C.wablock_config, e **C.wablock_error) C.wablock_status {
		return C.wablock_config_set_deadline_ms(c, millis(d), e)
	}}
}

// WithoutDeadline removes the overall deadline (the default; for undoing an earlier option).
func WithoutDeadline() Option {
	return Option{func(c *C.wablock_config, e **C.wablock_error) C.wablock_status {
		return C.wablock_config_clear_deadline(c, e)
	}}
}

// RetryPolicy says how often and how patiently a request is retried.
type RetryPolicy struct {
	MaxAttempts    uint32        // attempts in all, the first included; 1 means no retries
	InitialBackoff time.Duration // delay before the first retry, doubling after
	MaxBackoff     time.Duration // cap on any delay
	Jitter         bool          // full jitter
}

// WithRetryPolicy sets the retry policy (default 4 attempts, 500 ms doubling to 30 s, jitter).
func WithRetryPolicy(p RetryPolicy) Option {
	return Option{func(c *C.wablock_config, e **C.wablock_error) C.wablock_status {
		return C.wablock_config_set_retry_policy(c, C.uint32_t(p.MaxAttempts), millis(p.InitialBackoff),
			millis(p.MaxBackoff), C.bool(p.Jitter), e)
	}}
}

// WithMaxBatch sets the users per request, 1 to 1,000 (default 1,000).
func WithMaxBatch(n int) Option {
	return Option{func(c *C.wablock_config, e **C.wablock_error) C.wablock_status {
		return C.wablock_config_set_max_batch(c, C.int64_t(n), e)
	}}
}

// WithParallelism sets the batches in flight at once, 1 to 16 (default 4).
func WithParallelism(n int) Option {
	return Option{func(c *C.wablock_config, e **C.wablock_error) C.wablock_status {
		return C.wablock_config_set_parallelism(c, C.int64_t(n), e)
	}}
}

// WithAllowInsecureHTTP allows plain http:// to any host (off by default).
func WithAllowInsecureHTTP(allow bool) Option {
	return Option{func(c *C.wablock_config, e **C.wablock_error) C.wablock_status {
		return C.wablock_config_set_allow_insecure_http(c, C.bool(allow), e)
	}}
}

// WithMaxResponseBytes caps a response body (default 8 MiB); a larger one is KindProtocol.
func WithMaxResponseBytes(n uint64) Option {
	return Option{func(c *C.wablock_config, e **C.wablock_error) C.wablock_status {
		return C.wablock_config_set_max_response_bytes(c, C.uint64_t(n), e)
	}}
}

// WithListRestartBudget sets how often BlockedUsers restarts on 139102 (default 3).
func WithListRestartBudget(n uint32) Option {
	return Option{func(c *C.wablock_config, e **C.wablock_error) C.wablock_status {
		return C.wablock_config_set_list_restart_budget(c, C.uint32_t(n), e)
	}}
}

// Client talks to one phone number's blocklist. It is safe for concurrent use; Close it when
// done.
type Client struct {
	// The C handle lives as long as the Client: the C side makes Close safe against calls in
	// flight, so no lock is needed here, and a finalizer frees the handle once unreachable.
	ptr *C.wablock_client
}

func newClient(ptr *C.wablock_client) *Client {
	c := &Client{ptr: ptr}
	runtime.SetFinalizer(c, func(c *Client) { C.wablock_client_free(c.ptr) })
	return c
}

func build(create func(**C.wablock_config, **C.wablock_error) C.wablock_status, opts []Option) (*Client, error) {
	var cfg *C.wablock_config
	var cerr *C.wablock_error
	if st := create(&cfg, &cerr); st != C.WABLOCK_OK {
		return nil, takeError(st, cerr)
	}
	defer C.wablock_config_free(cfg)
	for _, o := range opts {
		if st := o.apply(cfg, &cerr); st != C.WABLOCK_OK {
			return nil, takeError(st, cerr)
		}
	}
	var client *C.wablock_client
	if st := C.wablock_client_new(cfg, &client, &cerr); st != C.WABLOCK_OK {
		return nil, takeError(st, cerr)
	}
	return newClient(client), nil
}

// NewMeta builds a client for Meta's Cloud API: phoneNumberID is the numeric ID of the
// WhatsApp phone number, accessToken the bearer token (never shown in any message).
func NewMeta(phoneNumberID, accessToken string, opts ...Option) (*Client, error) {
	id := newCString(phoneNumberID)
	defer id.free()
	token := newCString(accessToken)
	defer token.free()
	return build(func(cfg **C.wablock_config, e **C.wablock_error) C.wablock_status {
		return C.wablock_config_new_meta(id.view, token.view, cfg, e)
	}, opts)
}

// NewDialog360 builds a client for 360dialog with the phone number's D360-API-KEY.
func NewDialog360(apiKey string, opts ...Option) (*Client, error) {
	key := newCString(apiKey)
	defer key.free()
	return build(func(cfg **C.wablock_config, e **C.wablock_error) C.wablock_status {
		return C.wablock_config_new_360dialog(key.view, cfg, e)
	}, opts)
}

// FromEnv builds a client from WABLOCK_PROVIDER, WABLOCK_PHONE_NUMBER_ID,
// WABLOCK_ACCESS_TOKEN, WABLOCK_API_KEY, WABLOCK_BASE_URL and WABLOCK_API_VERSION, then
// applies opts.
func FromEnv(opts ...Option) (*Client, error) {
	return build(func(cfg **C.wablock_config, e **C.wablock_error) C.wablock_status {
		return C.wablock_config_from_env(cfg, e)
	}, opts)
}

// Close releases the client's connections. Calls in flight finish; later calls fail with
// KindInvalidArgument and the core's "the client is closed" message; iterators already started
// keep working. Closing twice is harmless. It never fails.
func (c *Client) Close() error {
	C.wablock_client_close(c.ptr)
	runtime.KeepAlive(c)
	return nil
}

// Block blocks users (phone numbers in any common writing, WA IDs or BSUIDs). The outcome
// accounts for every input; an error means the call failed as a whole (its Partial and
// NotAttempted still account for every input).
//
// Cancelling ctx (or reaching its deadline) stops the call before its next batch: batches in
// flight finish, and the error is KindCancelled, for which errors.Is(err, context.Canceled)
// (or context.DeadlineExceeded) also holds. Every call of the package takes ctx the same way.
func (c *Client) Block(ctx context.Context, users []string) (*Outcome, error) {
	return c.Mutate(ctx, OperationBlock, users, nil)
}

// Unblock unblocks users; see Block.
func (c *Client) Unblock(ctx context.Context, users []string) (*Outcome, error) {
	return c.Mutate(ctx, OperationUnblock, users, nil)
}

// ProgressFunc receives progress of a bulk call: done users out of total. Return false to
// cancel the call at the next batch boundary (it then fails with KindCancelled). It may run
// on another thread, never two calls at once.
type ProgressFunc func(done, total int) bool

// Mutate blocks or unblocks with an optional progress function; ctx as for Block.
func (c *Client) Mutate(ctx context.Context, op Operation, users []string, progress ProgressFunc) (*Outcome, error) {
	name := newCString(string(op))
	defer name.free()
	var cop C.wablock_operation
	var cerr *C.wablock_error
	if st := C.wablock_operation_from_name(name.view, &cop, &cerr); st != C.WABLOCK_OK {
		return nil, takeError(st, cerr)
	}
	list := newCStringList(users)
	defer list.free()
	var state *progressState
	var cb C.wablock_progress_cb
	var userData unsafe.Pointer
	if progress != nil {
		state = &progressState{fn: progress}
		h := cgo.NewHandle(state)
		defer h.Delete()
		cb = C.wablock_progress_cb(C.wablockGoProgress)
		userData = C.wablock_handle_ptr(C.uintptr_t(h))
	}
	s, err := c.scope(ctx)
	if err != nil {
		return nil, err
	}
	var co *C.wablock_outcome
	st := C.wablock_client_mutate(s.ptr, C.int32_t(cop), list.views, C.size_t(len(users)), cb, userData, &co, &cerr)
	s.end()
	runtime.KeepAlive(c)
	if state != nil && state.panicked != nil {
		if st == C.WABLOCK_OK {
			C.wablock_outcome_free(co)
		} else {
			C.wablock_error_free(cerr)
		}
		panic(state.panicked)
	}
	if st != C.WABLOCK_OK {
		return nil, s.wrap(takeError(st, cerr))
	}
	defer C.wablock_outcome_free(co)
	return convertOutcome(co), nil
}

// ListOption sets a parameter of ListPage or BlockedUsers.
type ListOption func(*listParams)

type listParams struct {
	hasLimit      bool
	limit         int64
	after, before *string
}

// WithLimit asks for at most n users per page (wablock's default, 100, otherwise). n must be at
// least 1. For BlockedUsers it is the page size.
func WithLimit(n int) ListOption {
	return func(p *listParams) {
		p.hasLimit = true
		p.limit = int64(n)
	}
}

// WithAfter asks for the page after cursor (from Page.After).
func WithAfter(cursor string) ListOption { return func(p *listParams) { p.after = &cursor } }

// WithBefore asks for the page before cursor (from Page.Before).
func WithBefore(cursor string) ListOption { return func(p *listParams) { p.before = &cursor } }

func listParamsOf(opts []ListOption) listParams {
	var p listParams
	for _, o := range opts {
		o(&p)
	}
	return p
}

// optCString is a C copy of an optional string: nil stays nil.
func optCString(s *string) *cString {
	if s == nil {
		return nil
	}
	cs := newCString(*s)
	return &cs
}

func (s *cString) viewPtr() *C.wablock_str {
	if s == nil {
		return nil
	}
	return &s.view
}

func (s *cString) freeOpt() {
	if s != nil {
		s.free()
	}
}

// ListPage fetches one page of the blocklist; ctx as for Block (a cancelled ctx stops it
// before its request).
func (c *Client) ListPage(ctx context.Context, opts ...ListOption) (*Page, error) {
	p := listParamsOf(opts)
	after := optCString(p.after)
	defer after.freeOpt()
	before := optCString(p.before)
	defer before.freeOpt()
	s, err := c.scope(ctx)
	if err != nil {
		return nil, err
	}
	var cp *C.wablock_page
	var cerr *C.wablock_error
	st := C.wablock_client_list_page(s.ptr, C.bool(p.hasLimit), C.int64_t(p.limit), after.viewPtr(), before.viewPtr(), &cp, &cerr)
	s.end()
	runtime.KeepAlive(c)
	if st != C.WABLOCK_OK {
		return nil, s.wrap(takeError(st, cerr))
	}
	defer C.wablock_page_free(cp)
	return convertPage(cp), nil
}

// startWalk makes the C iterator of a walk over the blocklist, observing ctx until the
// returned scope ends.
func (c *Client) startWalk(ctx context.Context, p listParams) (*C.wablock_blocked_users, *callScope, error) {
	s, err := c.scope(ctx)
	if err != nil {
		return nil, nil, err
	}
	var it *C.wablock_blocked_users
	var cerr *C.wablock_error
	st := C.wablock_client_blocked_users(s.ptr, C.bool(p.hasLimit), C.int64_t(p.limit), &it, &cerr)
	runtime.KeepAlive(c)
	if st != C.WABLOCK_OK {
		s.end()
		return nil, nil, s.wrap(takeError(st, cerr))
	}
	return it, s, nil
}

// BlockedUsers walks the whole blocklist lazily, following cursors; WithLimit sets the page
// size. It yields each user once and restarts on 139102 within the restart budget. After an
// error it yields that error once and stops. Cancelling ctx stops the walk before its next
// page, with a KindCancelled error (errors.Is(err, context.Canceled) holds).
//
//	for user, err := range client.BlockedUsers(ctx) {
//		if err != nil { return err }
//		fmt.Println(user.WaID)
//	}
func (c *Client) BlockedUsers(ctx context.Context, opts ...ListOption) iter.Seq2[BlockedUser, error] {
	p := listParamsOf(opts)
	return func(yield func(BlockedUser, error) bool) {
		it, s, err := c.startWalk(ctx, p)
		if err != nil {
			yield(BlockedUser{}, err)
			return
		}
		defer s.end()
		// The iterator holds its own reference to the connection pool: it may outlive Close.
		defer C.wablock_blocked_users_free(it)
		for {
			var u C.wablock_blocked_user
			var has C.bool
			var cerr *C.wablock_error
			s.sync()
			if st := C.wablock_blocked_users_next(it, &u, &has, &cerr); st != C.WABLOCK_OK {
				yield(BlockedUser{}, s.wrap(takeError(st, cerr)))
				return
			}
			if !bool(has) || !yield(convertUser(u), nil) {
				return
			}
		}
	}
}

// BlockedUsersCanonicalJSON walks the whole blocklist as BlockedUsers does and returns the
// walk as canonical JSON, the core's own text (the CLI's --json shape):
// {"blocked_users":{"error":null|{…},"users":[…]}}, an error that ends the walk included. The
// error returned is only one that stops the walk from starting (a closed client, a bad
// WithLimit).
func (c *Client) BlockedUsersCanonicalJSON(ctx context.Context, opts ...ListOption) (string, error) {
	it, s, err := c.startWalk(ctx, listParamsOf(opts))
	if err != nil {
		return "", err
	}
	defer s.end()
	defer C.wablock_blocked_users_free(it)
	var json *C.char
	var cerr *C.wablock_error
	if st := C.wablock_blocked_users_collect_to_json(it, &json, &cerr); st != C.WABLOCK_OK {
		return "", takeError(st, cerr)
	}
	return takeString(json), nil
}

// IsBlocked reports whether user is on the blocklist. It walks the whole list:
// O(blocklist) requests; ctx as for Block (a cancelled ctx stops it before its next page).
func (c *Client) IsBlocked(ctx context.Context, user string) (bool, error) {
	cu := newCString(user)
	defer cu.free()
	s, err := c.scope(ctx)
	if err != nil {
		return false, err
	}
	var blocked C.bool
	var cerr *C.wablock_error
	st := C.wablock_client_is_blocked(s.ptr, cu.view, &blocked, &cerr)
	s.end()
	runtime.KeepAlive(c)
	if st != C.WABLOCK_OK {
		return false, s.wrap(takeError(st, cerr))
	}
	return bool(blocked), nil
}

// IsBlockedCanonicalJSON is an IsBlocked answer as canonical JSON, the core's own text:
// {"is_blocked":true} or {"is_blocked":false}.
func IsBlockedCanonicalJSON(blocked bool) string {
	return takeString(C.wablock_is_blocked_to_json(C.bool(blocked)))
}

// CanonicalJSONText is the canonical JSON (keys sorted at every level, compact) of a JSON
// document given as text, written by the core: what a program comparing results byte for byte
// (a conformance runner) needs without re-implementing the form. Text that is not JSON is
// KindInvalidArgument.
func CanonicalJSONText(text string) (string, error) {
	ct := newCString(text)
	defer ct.free()
	var json *C.char
	var cerr *C.wablock_error
	if st := C.wablock_canonical_json(ct.view, &json, &cerr); st != C.WABLOCK_OK {
		return "", takeError(st, cerr)
	}
	return takeString(json), nil
}

// takeString converts and frees a string the C library returned.
func takeString(s *C.char) string {
	defer C.wablock_string_free(s)
	return C.GoString(s)
}
