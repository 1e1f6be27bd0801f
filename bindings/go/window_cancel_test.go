package wablock_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	wablock "github.com/wablock/wablock/bindings/go"
)

// slowWindow resets the sandbox with every user's window open and 20 ms per API response, and
// opens a window whose client for 1000 sends batches of 1,000, two at a time.
func slowWindow(t *testing.T) *wablock.Window {
	reset(t)
	mustControl(t, "POST", "/_sandbox/config", map[string]any{"open": true, "latency_ms": 20})
	t.Cleanup(func() { reset(t) })
	client := newClient(t, wablock.WithMaxBatch(1000), wablock.WithParallelism(cancelParallelism),
		wablock.WithRetryPolicy(wablock.RetryPolicy{MaxAttempts: 1, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))
	w, err := wablock.OpenWindow(bg, filepath.Join(t.TempDir(), "window.db"), wablock.WithWindowClient("1000", client))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// assertWindowCancelled checks that err is a WindowBlock error wrapping the core's CANCELLED
// error and unwrapping to cause, and returns the core's error.
func assertWindowCancelled(t *testing.T, err error, cause error) *wablock.Error {
	t.Helper()
	we := windowErr(t, err, wablock.WindowBlock)
	var core *wablock.Error
	if !errors.As(err, &core) || core.Kind != wablock.KindCancelled || we.Block != core ||
		!errors.Is(err, wablock.ErrCancelled) {
		t.Fatalf("want the core's CANCELLED behind the BLOCK error, got %v", err)
	}
	if !errors.Is(err, cause) {
		t.Fatalf("errors.Is(err, %v) is false for %v", cause, err)
	}
	return core
}

func TestWindowContextStopsA64000UserBlockWhenPossible(t *testing.T) {
	w := slowWindow(t)
	users := manyUsers()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		r   *wablock.WhenPossible
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := w.BlockWhenPossible(ctx, "1000", users)
		done <- result{r, err}
	}()
	for postCount(t) < 4 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	atCancel := postCount(t)
	r := <-done
	atEnd := postCount(t)
	if r.r != nil {
		t.Fatalf("a result after a cancel: %d succeeded", len(r.r.Outcome.Succeeded))
	}
	assertWindowCancelled(t, r.err, context.Canceled)
	if errors.Is(r.err, context.DeadlineExceeded) {
		t.Fatalf("a cancel is not a deadline: %v", r.err)
	}
	if atEnd-atCancel > cancelParallelism || atEnd >= 64 {
		t.Fatalf("%d requests when cancelled, %d at the end", atCancel, atEnd)
	}
	assertAccounted(t, r.err, users, atEnd)
	if n := postCount(t); n != atEnd {
		t.Fatalf("a request was sent after BlockWhenPossible returned: %d then %d", atEnd, n)
	}
	if n := pendingCount(t, w); n != 0 {
		t.Fatalf("%d queued after a cancelled block", n)
	}
	// The window itself is unaffected.
	ok, err := w.BlockWhenPossible(bg, "1000", users[:1])
	if err != nil || len(ok.Outcome.Succeeded) != 1 {
		t.Fatalf("after the cancel: %v %v", ok, err)
	}
}

func TestWindowContextDeadlineBoundsBlockWhenPossible(t *testing.T) {
	w := slowWindow(t)
	users := manyUsers()
	// 64 batches, two at a time, 20 ms each: at least 640 ms; the deadline is 300 ms.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := w.BlockWhenPossible(ctx, "1000", users)
	assertWindowCancelled(t, err, context.DeadlineExceeded)
	if errors.Is(err, context.Canceled) {
		t.Fatalf("a deadline is not a cancel: %v", err)
	}
	requests := postCount(t)
	if requests >= 64 {
		t.Fatalf("the deadline did not stop the call: %d requests", requests)
	}
	assertAccounted(t, err, users, requests)
	if n := pendingCount(t, w); n != 0 {
		t.Fatalf("%d queued after a deadline", n)
	}
}

// Ingest and ProcessPending with a context already done: CANCELLED, nothing recorded, nothing
// sent, the queued block still queued; the same payload then blocks the user.
func TestWindowCancelledIngestKeepsTheQueue(t *testing.T) {
	reset(t)
	w := openWindow(t, "sandbox-token", appSecret)
	if _, err := w.BlockWhenPossible(bg, "1000", []string{stale}); err != nil {
		t.Fatal(err)
	}
	body, signature := inboundWebhook(t, "16505550000")
	requests := len(requestLog(t))

	ctx, cancel := context.WithCancel(bg)
	cancel()
	report, err := w.Ingest(ctx, body, signature)
	if report != nil {
		t.Fatalf("a report from a cancelled ingest: %+v", report)
	}
	assertWindowCancelled(t, err, context.Canceled)
	blocks, err := w.ProcessPending(ctx)
	if blocks != nil {
		t.Fatalf("blocks from a cancelled ProcessPending: %+v", blocks)
	}
	assertWindowCancelled(t, err, context.Canceled)
	if s := windowState(t, w, stale); s.Kind != wablock.WindowUnknown {
		t.Errorf("the cancelled ingest recorded the message: %+v", s)
	}
	if n := pendingCount(t, w); n != 1 {
		t.Fatalf("%d pending after a cancelled ingest, want 1", n)
	}
	if n := len(requestLog(t)); n != requests {
		t.Fatalf("%d requests sent by cancelled calls", n-requests)
	}
	// The store operations check the context before they start.
	if _, err := w.Pending(ctx); err != context.Canceled {
		t.Errorf("Pending on a done context: %v", err)
	}

	// A live context that is not cancelled changes nothing: the payload blocks the user.
	live, stop := context.WithCancel(bg)
	defer stop()
	report, err = w.Ingest(live, body, signature)
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Blocks) != 1 || report.Blocks[0].Err != nil || report.Blocks[0].StillPending ||
		len(report.Blocks[0].Outcome.Succeeded) != 1 {
		t.Fatalf("report %+v", report)
	}
	if n := pendingCount(t, w); n != 0 {
		t.Fatalf("%d pending after the ingest", n)
	}

	// Closed: a cancellable call is refused as any call is.
	w.Close()
	_, err = w.ProcessPending(live)
	var core *wablock.Error
	if !errors.As(err, &core) || core.Kind != wablock.KindInvalidArgument || !strings.Contains(core.Message, "closed") {
		t.Errorf("closed: %v", err)
	}
}
