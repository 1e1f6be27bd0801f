// Package wablock blocks, unblocks and lists the users blocked on a WhatsApp Business phone
// number, through Meta's Cloud API or 360dialog. It is a thin cgo layer over libwablock (the
// Rust core's C ABI), so it fails exactly as every other wablock language does.
//
// Linking: cgo finds the installed libwablock through pkg-config (link_shared.go,
// link_static.go; docs/go.md).
//
// A Client is safe for concurrent use by many goroutines. Close it when done; there are no
// finalizers.
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
	"iter"
	"runtime/cgo"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Version is the version of the linked libwablock, e.g. "0.1.0".
func Version() string { return C.GoString(C.wablock_version()) }

// Option changes one setting of a client before it is built.
type Option struct {
	apply func(cfg *C.wablock_config, errOut **C.wablock_error) C.wablock_status
}

func stringOption(s string, set func(*C.wablock_config, *C.char, **C.wablock_error) C.wablock_status) Option {
	return Option{func(cfg *C.wablock_config, errOut **C.wablock_error) C.wablock_status {
		cs, err := cString("value", s)
		if err != nil {
			return invalidStatus
		}
		defer C.free(unsafe.Pointer(cs))
		return set(cfg, cs, errOut)
	}}
}

// WithBaseURL replaces the provider's base URL (a sandbox, a proxy). Plain http:// is
// accepted only for loopback hosts unless WithAllowInsecureHTTP(true).
func WithBaseURL(url string) Option {
	return stringOption(url, func(c *C.wablock_config, s *C.char, e **C.wablock_error) C.wablock_status {
		return C.wablock_config_set_base_url(c, s, e)
	})
}

// WithAPIVersion sets the Graph API version, e.g. "v25.0" (Meta only).
func WithAPIVersion(version string) Option {
	return stringOption(version, func(c *C.wablock_config, s *C.char, e **C.wablock_error) C.wablock_status {
		return C.wablock_config_set_api_version(c, s, e)
	})
}

func millis(d time.Duration) C.uint64_t {
	if d < 0 {
		return 0 // refused by the core as a zero timeout
	}
	return C.uint64_t(d.Milliseconds())
}

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

// WithDeadline bounds each whole call, retries and backoff included (default: none).
// A negative duration is refused.
func WithDeadline(d time.Duration) Option {
	return Option{func(c *C.wablock_config, e **C.wablock_error) C.wablock_status {
		ms := d.Milliseconds()
		if d < 0 {
			ms = min(ms, -2) // -1 would mean "unset" to the C API
		}
		return C.wablock_config_set_deadline_ms(c, C.int64_t(ms), e)
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

func size(n int) C.size_t {
	if n < 0 {
		return 0 // refused by the core's range check
	}
	return C.size_t(n)
}

// WithMaxBatch sets the users per request, 1 to 1,000 (default 1,000).
func WithMaxBatch(n int) Option {
	return Option{func(c *C.wablock_config, e **C.wablock_error) C.wablock_status {
		return C.wablock_config_set_max_batch(c, size(n), e)
	}}
}

// WithParallelism sets the batches in flight at once, 1 to 16 (default 4).
func WithParallelism(n int) Option {
	return Option{func(c *C.wablock_config, e **C.wablock_error) C.wablock_status {
		return C.wablock_config_set_parallelism(c, size(n), e)
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
	mu  sync.RWMutex
	ptr *C.wablock_client
}

const invalidStatus = C.WABLOCK_INVALID_ARGUMENT

// cString copies s for C. A NUL byte cannot cross the C boundary, so it is a caller error.
func cString(name, s string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, &Error{Kind: KindInvalidArgument, Message: name + " contains a NUL byte"}
	}
	return C.CString(s), nil
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
			if cerr == nil {
				return nil, &Error{Kind: Kind(st), Message: "an option value contains a NUL byte"}
			}
			return nil, takeError(st, cerr)
		}
	}
	var client *C.wablock_client
	if st := C.wablock_client_new(cfg, &client, &cerr); st != C.WABLOCK_OK {
		return nil, takeError(st, cerr)
	}
	return &Client{ptr: client}, nil
}

// NewMeta builds a client for Meta's Cloud API: phoneNumberID is the numeric ID of the
// WhatsApp phone number, accessToken the bearer token (never shown in any message).
func NewMeta(phoneNumberID, accessToken string, opts ...Option) (*Client, error) {
	id, err := cString("phone_number_id", phoneNumberID)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(id))
	token, err := cString("access_token", accessToken)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(token))
	return build(func(cfg **C.wablock_config, e **C.wablock_error) C.wablock_status {
		return C.wablock_config_new_meta(id, token, cfg, e)
	}, opts)
}

// NewDialog360 builds a client for 360dialog with the phone number's D360-API-KEY.
func NewDialog360(apiKey string, opts ...Option) (*Client, error) {
	key, err := cString("api_key", apiKey)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(key))
	return build(func(cfg **C.wablock_config, e **C.wablock_error) C.wablock_status {
		return C.wablock_config_new_360dialog(key, cfg, e)
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

// Close frees the client. It waits for calls in flight; later calls fail with
// KindInvalidArgument. Closing twice is harmless.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	C.wablock_client_free(c.ptr)
	c.ptr = nil
	return nil
}

// use runs f with the C client, holding it open for the duration.
func (c *Client) use(f func(*C.wablock_client) error) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return &Error{Kind: KindInvalidArgument, Message: "the client is closed"}
	}
	return f(c.ptr)
}

// Block blocks users (phone numbers in any common writing, WA IDs or BSUIDs). The outcome
// accounts for every input; an error means the call failed as a whole (its Partial and
// NotAttempted still account for every input).
func (c *Client) Block(users []string) (*Outcome, error) {
	return c.Mutate(OperationBlock, users, nil)
}

// Unblock unblocks users; see Block.
func (c *Client) Unblock(users []string) (*Outcome, error) {
	return c.Mutate(OperationUnblock, users, nil)
}

// ProgressFunc receives progress of a bulk call: done users out of total. Return false to
// cancel the call at the next batch boundary (it then fails with KindCancelled). It may run
// on another thread, never two calls at once.
type ProgressFunc func(done, total int) bool

// Mutate blocks or unblocks with an optional progress function.
func (c *Client) Mutate(op Operation, users []string, progress ProgressFunc) (*Outcome, error) {
	cop := C.int32_t(C.WABLOCK_OPERATION_BLOCK)
	switch op {
	case OperationBlock:
	case OperationUnblock:
		cop = C.WABLOCK_OPERATION_UNBLOCK
	default:
		return nil, &Error{Kind: KindInvalidArgument, Message: "operation must be block or unblock"}
	}
	var arr **C.char
	if len(users) > 0 {
		arr = (**C.char)(C.calloc(C.size_t(len(users)), C.size_t(unsafe.Sizeof((*C.char)(nil)))))
		defer C.free(unsafe.Pointer(arr))
		elems := unsafe.Slice(arr, len(users))
		defer func() {
			for _, p := range elems {
				C.free(unsafe.Pointer(p))
			}
		}()
		for i, u := range users {
			p, err := cString("users["+itoa(i)+"]", u)
			if err != nil {
				return nil, err
			}
			elems[i] = p
		}
	}
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
	var out *Outcome
	err := c.use(func(client *C.wablock_client) error {
		var co *C.wablock_outcome
		var cerr *C.wablock_error
		st := C.wablock_client_mutate(client, cop, arr, C.size_t(len(users)), cb, userData, &co, &cerr)
		if st != C.WABLOCK_OK {
			return takeError(st, cerr)
		}
		defer C.wablock_outcome_free(co)
		out = convertOutcome(co)
		return nil
	})
	if state != nil && state.panicked != nil {
		panic(state.panicked)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for ; i > 0; i /= 10 {
		n--
		b[n] = byte('0' + i%10)
	}
	return string(b[n:])
}

// ListOption sets a parameter of ListPage or BlockedUsers.
type ListOption func(*listParams)

type listParams struct {
	limit         int64
	after, before *string
}

// WithLimit asks for at most n users per page (the server's default otherwise). n must be at
// least 1. For BlockedUsers it is the page size.
func WithLimit(n int) ListOption {
	return func(p *listParams) {
		p.limit = int64(n)
		if n < 0 {
			p.limit = min(p.limit, -2) // -1 would mean "unset" to the C API; negatives are refused
		}
	}
}

// WithAfter asks for the page after cursor (from Page.After).
func WithAfter(cursor string) ListOption { return func(p *listParams) { p.after = &cursor } }

// WithBefore asks for the page before cursor (from Page.Before).
func WithBefore(cursor string) ListOption { return func(p *listParams) { p.before = &cursor } }

func listParamsOf(opts []ListOption) listParams {
	p := listParams{limit: C.WABLOCK_UNSET}
	for _, o := range opts {
		o(&p)
	}
	return p
}

func optCString(name string, s *string) (*C.char, error) {
	if s == nil {
		return nil, nil
	}
	return cString(name, *s)
}

// ListPage fetches one page of the blocklist.
func (c *Client) ListPage(opts ...ListOption) (*Page, error) {
	p := listParamsOf(opts)
	after, err := optCString("after", p.after)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(after))
	before, err := optCString("before", p.before)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(before))
	var page *Page
	err = c.use(func(client *C.wablock_client) error {
		var cp *C.wablock_page
		var cerr *C.wablock_error
		if st := C.wablock_client_list_page(client, C.int64_t(p.limit), after, before, &cp, &cerr); st != C.WABLOCK_OK {
			return takeError(st, cerr)
		}
		defer C.wablock_page_free(cp)
		page = convertPage(cp)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// BlockedUsers walks the whole blocklist lazily, following cursors; WithLimit sets the page
// size. It yields each user once and restarts on 139102 within the restart budget. After an
// error it yields that error once and stops.
//
//	for user, err := range client.BlockedUsers() {
//		if err != nil { return err }
//		fmt.Println(user.WaID)
//	}
func (c *Client) BlockedUsers(opts ...ListOption) iter.Seq2[BlockedUser, error] {
	p := listParamsOf(opts)
	return func(yield func(BlockedUser, error) bool) {
		var it *C.wablock_blocked_users
		err := c.use(func(client *C.wablock_client) error {
			var cerr *C.wablock_error
			if st := C.wablock_client_blocked_users(client, C.int64_t(p.limit), &it, &cerr); st != C.WABLOCK_OK {
				return takeError(st, cerr)
			}
			return nil
		})
		if err != nil {
			yield(BlockedUser{}, err)
			return
		}
		// The iterator holds its own reference to the connection pool: it may outlive Close.
		defer C.wablock_blocked_users_free(it)
		for {
			var u C.wablock_blocked_user
			var has C.bool
			var cerr *C.wablock_error
			if st := C.wablock_blocked_users_next(it, &u, &has, &cerr); st != C.WABLOCK_OK {
				yield(BlockedUser{}, takeError(st, cerr))
				return
			}
			if !bool(has) || !yield(convertUser(u), nil) {
				return
			}
		}
	}
}

// IsBlocked reports whether user is on the blocklist. It walks the whole list:
// O(blocklist) requests.
func (c *Client) IsBlocked(user string) (bool, error) {
	cu, err := cString("user", user)
	if err != nil {
		return false, err
	}
	defer C.free(unsafe.Pointer(cu))
	var blocked C.bool
	err = c.use(func(client *C.wablock_client) error {
		var cerr *C.wablock_error
		if st := C.wablock_client_is_blocked(client, cu, &blocked, &cerr); st != C.WABLOCK_OK {
			return takeError(st, cerr)
		}
		return nil
	})
	return bool(blocked), err
}
