package wablock_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	wablock "github.com/wablock/wablock/bindings/go"
)

func newClient(t *testing.T, opts ...wablock.Option) *wablock.Client {
	t.Helper()
	base := []wablock.Option{
		wablock.WithBaseURL(sandboxURL),
		wablock.WithParallelism(1),
		wablock.WithRetryPolicy(wablock.RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond}),
	}
	c, err := wablock.NewMeta("1000", "sandbox-token", append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// clientWithBlocklist resets the sandbox, blocks users (after a message from each) and returns
// the client that did it.
func clientWithBlocklist(t *testing.T, users []string) *wablock.Client {
	t.Helper()
	reset(t)
	for _, u := range users {
		inbound(t, u)
	}
	c := newClient(t)
	if _, err := c.Block(bg, users); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBlockOutcome(t *testing.T) {
	reset(t)
	inbound(t, "16505551234")
	c := newClient(t)
	o, err := c.Block(bg, []string{"+1 (650) 555-1234", "15550001111", "not a number"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Operation != wablock.OperationBlock || o.Requests != 1 {
		t.Fatalf("operation %v requests %d", o.Operation, o.Requests)
	}
	if len(o.Succeeded) != 1 || o.Succeeded[0] != (wablock.Success{Input: "+1 (650) 555-1234", Sent: "+16505551234", WaID: "16505551234"}) {
		t.Fatalf("succeeded %+v", o.Succeeded)
	}
	if len(o.Failed) != 2 {
		t.Fatalf("failed %+v", o.Failed)
	}
	f := o.Failed[0]
	if f.Input != "15550001111" || f.Reason != wablock.ReasonReengagementRequired || f.Code == nil || *f.Code != 131047 {
		t.Fatalf("failure %+v", f)
	}
	if f.Hint != wablock.ReasonReengagementRequired.Hint() || f.Reason.String() != "REENGAGEMENT_REQUIRED" {
		t.Fatalf("hint %q reason %q", f.Hint, f.Reason)
	}
	inv := o.Failed[1]
	if inv.Reason != wablock.ReasonInvalidUser || inv.Sent != "" || inv.Code != nil {
		t.Fatalf("invalid user %+v", inv)
	}
	if !strings.HasPrefix(o.CanonicalJSON(), `{"outcome":{"failed":[`) {
		t.Fatalf("json %s", o.CanonicalJSON())
	}
}

func TestErrorsIsAndFields(t *testing.T) {
	reset(t)
	c, err := wablock.NewMeta("1000", "wrong-secret-token", wablock.WithBaseURL(sandboxURL))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Block(bg, []string{"16505551234", "15550001111"})
	if !errors.Is(err, wablock.ErrAuth) || errors.Is(err, wablock.ErrServer) {
		t.Fatalf("errors.Is: %v", err)
	}
	var e *wablock.Error
	if !errors.As(err, &e) {
		t.Fatal("not a *wablock.Error")
	}
	if e.Kind != wablock.KindAuth || e.HTTPStatus == nil || *e.HTTPStatus != 401 || e.Code == nil || *e.Code != 190 {
		t.Fatalf("fields %+v", e)
	}
	if e.Retryable || e.RetryAfter != nil || e.Partial != nil || e.FBTraceID == "" {
		t.Fatalf("fields %+v", e)
	}
	if fmt.Sprint(e.NotAttempted) != "[16505551234 15550001111]" {
		t.Fatalf("not attempted %v", e.NotAttempted)
	}
	// The core's Display, byte for byte.
	if e.Error() != "AUTH: Invalid OAuth access token - Cannot parse access token (code 190)" {
		t.Fatalf("Error() %q", e.Error())
	}
	for _, s := range []string{e.Error(), e.CanonicalJSON(), fmt.Sprintf("%+v", e)} {
		if strings.Contains(s, "wrong-secret-token") {
			t.Fatalf("the token leaked: %s", s)
		}
	}
	// Wrapped errors still match.
	if !errors.Is(fmt.Errorf("blocking: %w", err), wablock.ErrAuth) {
		t.Fatal("wrapped error does not match")
	}
}

func TestInvalidArguments(t *testing.T) {
	reset(t)
	c := newClient(t)
	cases := map[string]func() error{
		"empty list":     func() error { _, err := c.Block(bg, nil); return err },
		"invalid UTF-8":  func() error { _, err := c.Block(bg, []string{"1650\xff555"}); return err },
		"limit zero":     func() error { _, err := c.ListPage(bg, wablock.WithLimit(0)); return err },
		"limit -1":       func() error { _, err := c.ListPage(bg, wablock.WithLimit(-1)); return err },
		"bad user":       func() error { _, err := c.IsBlocked(bg, "not a number"); return err },
		"NUL is_blocked": func() error { _, err := c.IsBlocked(bg, "1650\x00555"); return err },
		"NUL in token": func() error {
			_, err := wablock.NewMeta("1000", "tok\x00en", wablock.WithBaseURL(sandboxURL))
			return err
		},
		"bad config": func() error {
			_, err := wablock.NewMeta("1000", "t", wablock.WithBaseURL(sandboxURL), wablock.WithParallelism(0))
			return err
		},
		"bad op": func() error { _, err := c.Mutate(bg, "delete", []string{"1"}, nil); return err },
	}
	for name, f := range cases {
		err := f()
		var e *wablock.Error
		if !errors.Is(err, wablock.ErrInvalidArgument) || !errors.As(err, &e) {
			t.Errorf("%s: %v", name, err)
			continue
		}
		// Every error is the core's: its JSON and its one-line text are never empty.
		if !strings.HasPrefix(e.CanonicalJSON(), `{"error":{`) || !strings.HasPrefix(e.Error(), "INVALID_ARGUMENT: ") {
			t.Errorf("%s: json %q text %q", name, e.CanonicalJSON(), e.Error())
		}
	}
	if n := len(requestLog(t)); n != 0 {
		t.Fatalf("%d requests sent for invalid arguments", n)
	}
}

func TestListingAndIterator(t *testing.T) {
	users := []string{"16505550001", "16505550002", "16505550003"}
	c := clientWithBlocklist(t, users)
	p, err := c.ListPage(bg, wablock.WithLimit(2))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Users) != 2 || !p.HasMore || p.After == "" {
		t.Fatalf("page %+v", p)
	}
	p2, err := c.ListPage(bg, wablock.WithLimit(2), wablock.WithAfter(p.After))
	if err != nil || len(p2.Users) != 1 {
		t.Fatalf("page 2 %+v %v", p2, err)
	}
	var seen []string
	for u, err := range c.BlockedUsers(bg, wablock.WithLimit(1)) {
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, u.WaID)
	}
	if strings.Join(seen, ",") != strings.Join(users, ",") {
		t.Fatalf("iterated %v", seen)
	}
	// Breaking early frees the iterator and stops requesting pages.
	reset(t)
	for _, u := range users {
		inbound(t, u)
	}
	if _, err := c.Block(bg, users); err != nil {
		t.Fatal(err)
	}
	before := len(requestLog(t))
	for range c.BlockedUsers(bg, wablock.WithLimit(1)) {
		break
	}
	if n := len(requestLog(t)) - before; n != 1 {
		t.Fatalf("early break made %d requests, want 1", n)
	}
	blocked, err := c.IsBlocked(bg, "+1 650 555 0002")
	if err != nil || !blocked {
		t.Fatalf("is_blocked %v %v", blocked, err)
	}
	blocked, err = c.IsBlocked(bg, "16505559999")
	if err != nil || blocked {
		t.Fatalf("is_blocked %v %v", blocked, err)
	}
}

func TestIteratorYieldsErrorOnce(t *testing.T) {
	reset(t)
	c, err := wablock.NewMeta("1000", "wrong-token", wablock.WithBaseURL(sandboxURL))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	n := 0
	for _, err := range c.BlockedUsers(bg) {
		n++
		if !errors.Is(err, wablock.ErrAuth) {
			t.Fatalf("want AUTH, got %v", err)
		}
	}
	if n != 1 {
		t.Fatalf("%d items, want one error", n)
	}
}

func TestProgressAndCancel(t *testing.T) {
	reset(t)
	users := []string{"16505550001", "16505550002", "16505550003", "16505550004"}
	for _, u := range users {
		inbound(t, u)
	}
	c := newClient(t, wablock.WithMaxBatch(1))
	var calls []int
	o, err := c.Mutate(bg, wablock.OperationBlock, users, func(done, total int) bool {
		if total != 4 {
			t.Errorf("total %d", total)
		}
		calls = append(calls, done)
		return true
	})
	if err != nil || len(o.Succeeded) != 4 {
		t.Fatalf("%+v %v", o, err)
	}
	if fmt.Sprint(calls) != "[1 2 3 4]" {
		t.Fatalf("progress calls %v", calls)
	}
	_, err = c.Mutate(bg, wablock.OperationUnblock, users, func(done, total int) bool { return false })
	var e *wablock.Error
	if !errors.Is(err, wablock.ErrCancelled) || !errors.As(err, &e) {
		t.Fatalf("want CANCELLED, got %v", err)
	}
	if e.Partial == nil || len(e.Partial.Succeeded)+len(e.Partial.Failed) != 1 || len(e.NotAttempted) != 3 {
		t.Fatalf("partial %+v not attempted %v", e.Partial, e.NotAttempted)
	}
}

func TestProgressPanicReachesCaller(t *testing.T) {
	reset(t)
	inbound(t, "16505550001")
	c := newClient(t)
	defer func() {
		if r := recover(); r != "boom" {
			t.Fatalf("recovered %v, want boom", r)
		}
	}()
	_, _ = c.Mutate(bg, wablock.OperationBlock, []string{"16505550001"}, func(int, int) bool { panic("boom") })
	t.Fatal("the panic was swallowed")
}

func TestConcurrentUseAndClose(t *testing.T) {
	reset(t)
	c := newClient(t, wablock.WithParallelism(2))
	for g := 0; g < 8; g++ {
		inbound(t, fmt.Sprintf("165077700%02d", g))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			u := fmt.Sprintf("165077700%02d", g)
			for i := 0; i < 3; i++ {
				if o, err := c.Block(bg, []string{u}); err != nil || len(o.Succeeded) != 1 {
					errs <- fmt.Errorf("block %s: %+v %v", u, o, err)
					return
				}
				if o, err := c.Unblock(bg, []string{u}); err != nil || len(o.Succeeded) != 1 {
					errs <- fmt.Errorf("unblock %s: %+v %v", u, o, err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if _, err := c.Block(bg, []string{"16505550001"}); !errors.Is(err, wablock.ErrInvalidArgument) {
		t.Fatalf("use after Close: %v", err)
	}
}

func TestNULInOneUserFailsAlone(t *testing.T) {
	reset(t)
	inbound(t, "16505551234")
	c := newClient(t)
	withNUL := "16505\x00551234"
	o, err := c.Block(bg, []string{"16505551234", withNUL})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Succeeded) != 1 || len(o.Failed) != 1 {
		t.Fatalf("outcome %+v", o)
	}
	f := o.Failed[0]
	if f.Input != withNUL || f.Reason != wablock.ReasonInvalidUser || f.Sent != "" ||
		!strings.Contains(f.Message, "control character U+0000") {
		t.Fatalf("failure %+v", f)
	}
	if !strings.Contains(o.CanonicalJSON(), `"input":"16505\u0000551234"`) {
		t.Fatalf("json %s", o.CanonicalJSON())
	}
	if n := len(requestLog(t)); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

func TestInvalidUTF8AccountsForEveryInput(t *testing.T) {
	reset(t)
	c := newClient(t)
	_, err := c.Block(bg, []string{"16505551234", "16\xff5"})
	var e *wablock.Error
	if !errors.As(err, &e) || e.Kind != wablock.KindInvalidArgument || !strings.HasPrefix(e.Message, "user #1 is not text") {
		t.Fatalf("%v", err)
	}
	if len(e.NotAttempted) != 2 || e.NotAttempted[0] != "16505551234" || e.NotAttempted[1] != "16\uFFFD5" {
		t.Fatalf("not attempted %q", e.NotAttempted)
	}
}

func TestClosedClientErrorsComeFromTheCore(t *testing.T) {
	users := []string{"16505550001", "16505550002", "16505550003"}
	c := clientWithBlocklist(t, users)
	// A walk started before Close goes on to the end: it holds its own connections.
	var seen []string
	for u, err := range c.BlockedUsers(bg, wablock.WithLimit(1)) {
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, u.WaID)
		c.Close()
	}
	if len(seen) != 3 {
		t.Fatalf("walk after Close yielded %v", seen)
	}
	reset(t)
	_, blockErr := c.Block(bg, users)
	_, pageErr := c.ListPage(bg)
	_, isErr := c.IsBlocked(bg, "16505550001")
	_, jsonErr := c.BlockedUsersCanonicalJSON(bg)
	var walkErr error
	for _, err := range c.BlockedUsers(bg) {
		walkErr = err
	}
	for name, err := range map[string]error{"block": blockErr, "list": pageErr, "is_blocked": isErr, "json": jsonErr, "walk": walkErr} {
		var e *wablock.Error
		if !errors.As(err, &e) || e.Kind != wablock.KindInvalidArgument ||
			!strings.Contains(e.Message, "the client is closed") || !strings.Contains(e.CanonicalJSON(), "the client is closed") {
			t.Errorf("%s: %v", name, err)
		}
	}
	var e *wablock.Error
	if errors.As(blockErr, &e) && fmt.Sprint(e.NotAttempted) != fmt.Sprint(users) {
		t.Errorf("not attempted %v, want every input", e.NotAttempted)
	}
	if n := len(requestLog(t)); n != 0 {
		t.Fatalf("%d requests after Close", n)
	}
}

func TestNegativeValuesAreNamedAsPassed(t *testing.T) {
	reset(t)
	cases := map[string]wablock.Option{
		"deadline_ms is -5: it is out of range":           wablock.WithDeadline(-5 * time.Millisecond),
		"connect_timeout_ms is -2000: it is out of range": wablock.WithConnectTimeout(-2 * time.Second),
		"max_batch is -3: it is out of range":             wablock.WithMaxBatch(-3),
		"parallelism is -1: it is out of range":           wablock.WithParallelism(-1),
	}
	for want, opt := range cases {
		_, err := wablock.NewMeta("1000", "t", wablock.WithBaseURL(sandboxURL), opt)
		var e *wablock.Error
		if !errors.As(err, &e) || e.Message != want {
			t.Errorf("want %q, got %v", want, err)
		}
	}
	c := newClient(t)
	_, err := c.ListPage(bg, wablock.WithLimit(-1))
	if err == nil || err.Error() != "INVALID_ARGUMENT: limit is -1: it is out of range" {
		t.Fatalf("%v", err)
	}
	_, err = c.Mutate(bg, "delete", []string{"16505551234"}, nil)
	if err == nil || !strings.Contains(err.Error(), `operation is "delete"`) {
		t.Fatalf("%v", err)
	}
}

func TestDeadlineSetAndCleared(t *testing.T) {
	slowPage := map[string]any{"responses": []any{map[string]any{
		"status": 200, "json": map[string]any{"data": []any{}, "paging": map[string]any{}}, "delay_ms": 400,
	}}}
	for _, cleared := range []bool{false, true} {
		reset(t)
		mustControl(t, "POST", "/_sandbox/script", slowPage)
		opts := []wablock.Option{wablock.WithDeadline(100 * time.Millisecond)}
		if cleared {
			opts = append(opts, wablock.WithoutDeadline())
		}
		c := newClient(t, opts...)
		_, err := c.ListPage(bg)
		if cleared && err != nil {
			t.Fatalf("no deadline: %v", err)
		}
		if !cleared && !errors.Is(err, wablock.ErrTimeout) {
			t.Fatalf("deadline: want TIMEOUT, got %v", err)
		}
	}
}

// Without WithLimit, wablock's default page size (100) is sent, never the server's default.
func TestLimitIsTheCallersOrTheDefault(t *testing.T) {
	c := newClient(t)
	for _, opts := range [][]wablock.ListOption{nil, {wablock.WithLimit(7)}} {
		reset(t)
		if _, err := c.ListPage(bg, opts...); err != nil {
			t.Fatal(err)
		}
		query, _ := requestLog(t)[0]["query"].(string)
		if want := len(opts) > 0; strings.Contains(query, "limit=7") != want || strings.Contains(query, "limit=100") == want {
			t.Fatalf("query %q with %d options", query, len(opts))
		}
	}
}

func TestCanonicalJSONComesFromTheCore(t *testing.T) {
	reset(t)
	inbound(t, "16505551234")
	c := newClient(t)
	if _, err := c.Block(bg, []string{"16505551234"}); err != nil {
		t.Fatal(err)
	}
	got, err := c.BlockedUsersCanonicalJSON(bg, wablock.WithLimit(1))
	want := `{"blocked_users":{"error":null,"users":[{"user_id":null,"wa_id":"16505551234"}]}}`
	if err != nil || got != want {
		t.Fatalf("walk json %q %v", got, err)
	}
	if wablock.IsBlockedCanonicalJSON(true) != `{"is_blocked":true}` || wablock.IsBlockedCanonicalJSON(false) != `{"is_blocked":false}` {
		t.Fatal("is_blocked json")
	}
	if got, err := wablock.CanonicalJSONText(`{ "b": [1, {"d": null, "c": "x"}], "a": true }`); err != nil || got != `{"a":true,"b":[1,{"c":"x","d":null}]}` {
		t.Fatalf("canonical text %q %v", got, err)
	}
	if _, err := wablock.CanonicalJSONText("{not json"); !errors.Is(err, wablock.ErrInvalidArgument) {
		t.Fatalf("not JSON: %v", err)
	}
	// An error that ends the walk is part of the walk's JSON.
	bad, err := wablock.NewMeta("1000", "wrong-token", wablock.WithBaseURL(sandboxURL))
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	got, err = bad.BlockedUsersCanonicalJSON(bg)
	if err != nil || !strings.HasPrefix(got, `{"blocked_users":{"error":{`) || !strings.Contains(got, `"kind":"AUTH"`) {
		t.Fatalf("walk json %q %v", got, err)
	}
}

func TestKindsAndVersion(t *testing.T) {
	names := []string{"INVALID_ARGUMENT", "AUTH", "RATE_LIMITED", "BLOCKLIST_FULL", "CONCURRENT_UPDATE",
		"SERVER", "REJECTED", "NETWORK", "TIMEOUT", "PROTOCOL", "INTERNAL", "CANCELLED"}
	sentinels := []error{wablock.ErrInvalidArgument, wablock.ErrAuth, wablock.ErrRateLimited, wablock.ErrBlocklistFull,
		wablock.ErrConcurrentUpdate, wablock.ErrServer, wablock.ErrRejected, wablock.ErrNetwork, wablock.ErrTimeout,
		wablock.ErrProtocol, wablock.ErrInternal, wablock.ErrCancelled}
	for i, name := range names {
		k := wablock.Kind(i + 1)
		if k.String() != name {
			t.Errorf("kind %d is %s, want %s", i+1, k, name)
		}
		e := &wablock.Error{Kind: k}
		for j, s := range sentinels {
			if errors.Is(e, s) != (i == j) {
				t.Errorf("errors.Is(%s, sentinel %d) wrong", name, j)
			}
		}
	}
	if wablock.Version() == "" || strings.Count(wablock.Version(), ".") != 2 {
		t.Fatalf("version %q", wablock.Version())
	}
}
