package wablock_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	wablock "github.com/wablock/wablock/bindings/go"
)

const cancelParallelism = 2

// manyUsers is 64,000 distinct valid numbers: 64 batches of 1,000.
func manyUsers() []string {
	users := make([]string, 64_000)
	for i := range users {
		users[i] = fmt.Sprintf("1650%07d", 2_000_000+i)
	}
	return users
}

func postCount(t *testing.T) int {
	n := 0
	for _, r := range requestLog(t) {
		if r["method"] == "POST" {
			n++
		}
	}
	return n
}

// slowSandbox resets the sandbox with 20 ms per API response and returns a client sending
// batches of 1,000, two at a time.
func slowSandbox(t *testing.T) *wablock.Client {
	reset(t)
	mustControl(t, "POST", "/_sandbox/config", map[string]any{"latency_ms": 20})
	t.Cleanup(func() { reset(t) })
	return newClient(t, wablock.WithMaxBatch(1000), wablock.WithParallelism(cancelParallelism),
		wablock.WithRetryPolicy(wablock.RetryPolicy{MaxAttempts: 1, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))
}

// assertAccounted checks that a cancelled call accounts for every input exactly once, and
// that the users answered are exactly those of the requests sent.
func assertAccounted(t *testing.T, err error, users []string, requests int) *wablock.Error {
	t.Helper()
	var e *wablock.Error
	if !errors.As(err, &e) || e.Kind != wablock.KindCancelled || !errors.Is(err, wablock.ErrCancelled) {
		t.Fatalf("want a CANCELLED *wablock.Error, got %v", err)
	}
	var seen []string
	if e.Partial != nil {
		for _, s := range e.Partial.Succeeded {
			seen = append(seen, s.Input)
		}
		for _, f := range e.Partial.Failed {
			seen = append(seen, f.Input)
		}
	}
	if len(seen) != requests*1000 {
		t.Fatalf("%d users answered, but %d requests of 1,000 were sent", len(seen), requests)
	}
	seen = append(seen, e.NotAttempted...)
	want := append([]string(nil), users...)
	sort.Strings(seen)
	sort.Strings(want)
	if len(seen) != len(want) {
		t.Fatalf("%d inputs accounted for, want %d", len(seen), len(want))
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("input %q accounted for where %q was expected", seen[i], want[i])
		}
	}
	return e
}

func TestCancelledContextStopsA64000UserBlock(t *testing.T) {
	c := slowSandbox(t)
	users := manyUsers()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		o   *wablock.Outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		o, err := c.Block(ctx, users)
		done <- result{o, err}
	}()
	for postCount(t) < 4 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	atCancel := postCount(t)
	r := <-done
	atEnd := postCount(t)
	if r.o != nil {
		t.Fatalf("an outcome after a cancel: %d succeeded", len(r.o.Succeeded))
	}
	if !errors.Is(r.err, context.Canceled) {
		t.Fatalf("errors.Is(err, context.Canceled) is false for %v", r.err)
	}
	// Batches in flight when the handle fired (at most the parallelism, perhaps not logged
	// yet) finish; no other starts.
	if atEnd-atCancel > cancelParallelism || atEnd >= 64 {
		t.Fatalf("%d requests when cancelled, %d at the end", atCancel, atEnd)
	}
	assertAccounted(t, r.err, users, atEnd)
	if n := postCount(t); n != atEnd {
		t.Fatalf("a request was sent after Block returned: %d then %d", atEnd, n)
	}
}

func TestContextDeadlineBoundsTheCall(t *testing.T) {
	c := slowSandbox(t)
	users := manyUsers()
	// 64 batches, two at a time, 20 ms each: at least 640 ms; the deadline is 300 ms.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.Unblock(ctx, users)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		t.Fatalf("want context.DeadlineExceeded, got %v", err)
	}
	requests := 0
	for _, r := range requestLog(t) {
		if r["method"] == "DELETE" {
			requests++
		}
	}
	if requests >= 64 {
		t.Fatalf("the deadline did not stop the call: %d requests", requests)
	}
	assertAccounted(t, err, users, requests)
}

func TestDoneContextSendsNothing(t *testing.T) {
	c := slowSandbox(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, blockErr := c.Block(ctx, []string{"16505550001", "not a number"})
	_, pageErr := c.ListPage(ctx)
	_, isErr := c.IsBlocked(ctx, "16505550001")
	for name, err := range map[string]error{"Block": blockErr, "ListPage": pageErr, "IsBlocked": isErr} {
		var e *wablock.Error
		if !errors.As(err, &e) || e.Kind != wablock.KindCancelled || !errors.Is(err, context.Canceled) {
			t.Errorf("%s: want CANCELLED and context.Canceled, got %v", name, err)
		}
	}
	var e *wablock.Error
	if errors.As(blockErr, &e) && (len(e.NotAttempted) != 1 || e.Partial == nil || len(e.Partial.Failed) != 1) {
		t.Errorf("the invalid user is refused, the other not attempted: %+v %v", e.Partial, e.NotAttempted)
	}
	if n := len(requestLog(t)); n != 0 {
		t.Fatalf("%d requests sent on a done context", n)
	}
	// A CANCELLED from the progress function is not the context's.
	_, err := c.Mutate(bg, wablock.OperationBlock, []string{"16505550001"}, func(int, int) bool { return false })
	if !errors.Is(err, wablock.ErrCancelled) || errors.Is(err, context.Canceled) {
		t.Fatalf("progress cancel: %v", err)
	}
}

func TestCancelledContextStopsTheWalkBeforeItsNextPage(t *testing.T) {
	reset(t)
	c := newClient(t)
	users := []string{"16505550001", "16505550002", "16505550003", "16505550004", "16505550005"}
	for _, u := range users {
		inbound(t, u)
	}
	if _, err := c.Block(bg, users); err != nil {
		t.Fatal(err)
	}
	mustControl(t, "DELETE", "/_sandbox/requests", nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []string
	var walkErr error
	for u, err := range c.BlockedUsers(ctx, wablock.WithLimit(1)) {
		if err != nil {
			walkErr = err
			break
		}
		got = append(got, u.WaID)
		if len(got) == 2 {
			cancel()
		}
	}
	if len(got) != 2 || !errors.Is(walkErr, context.Canceled) || !errors.Is(walkErr, wablock.ErrCancelled) {
		t.Fatalf("got %v then %v", got, walkErr)
	}
	if n := len(requestLog(t)); n != 2 {
		t.Fatalf("%d pages fetched, want 2", n)
	}
}
