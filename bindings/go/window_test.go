package wablock_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	wablock "github.com/wablock/wablock/bindings/go"
)

const (
	stale     = "+16505550000" // never wrote to 1000: refused with REENGAGEMENT_REQUIRED
	appSecret = "sandbox-app-secret"
)

// openWindow opens a window over a new SQLite file in a temp dir, with the sandbox client of
// number 1000 (token token) and, when secret is not "", that app secret.
func openWindow(t *testing.T, token, secret string) *wablock.Window {
	t.Helper()
	client, err := wablock.NewMeta("1000", token,
		wablock.WithBaseURL(sandboxURL),
		wablock.WithRetryPolicy(wablock.RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close() // the window keeps its own reference
	opts := []wablock.WindowOption{wablock.WithWindowClient("1000", client), wablock.WithLease(30 * time.Second)}
	if secret != "" {
		opts = append(opts, wablock.WithAppSecret(secret))
	}
	w, err := wablock.OpenWindow(bg, filepath.Join(t.TempDir(), "window.db"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// inboundWebhook records a message from waID to 1000 on the sandbox and returns the webhook
// payload of it and its X-Hub-Signature-256, signed with the sandbox's app secret.
func inboundWebhook(t *testing.T, waID string) ([]byte, string) {
	t.Helper()
	var hook struct {
		WebhookBody string `json:"webhook_body"`
		Signature   string `json:"signature"`
	}
	data := mustControl(t, "POST", "/_sandbox/inbound", map[string]any{"phone_number_id": "1000", "wa_id": waID})
	if err := json.Unmarshal(data, &hook); err != nil || hook.WebhookBody == "" || hook.Signature == "" {
		t.Fatalf("inbound answered %s (%v)", data, err)
	}
	return []byte(hook.WebhookBody), hook.Signature
}

func pendingCount(t *testing.T, w *wablock.Window) int {
	t.Helper()
	p, err := w.Pending(bg)
	if err != nil {
		t.Fatal(err)
	}
	return len(p.Blocks)
}

func windowState(t *testing.T, w *wablock.Window, user string) wablock.WindowState {
	t.Helper()
	s, err := w.State(bg, "1000", user)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func windowErr(t *testing.T, err error, kind wablock.WindowErrorKind) *wablock.WindowError {
	t.Helper()
	var we *wablock.WindowError
	if !errors.As(err, &we) {
		t.Fatalf("want a *WindowError of kind %s, got %T %v", kind, err, err)
	}
	if we.Kind != kind {
		t.Fatalf("kind %s, want %s (%v)", we.Kind, kind, err)
	}
	if !strings.HasPrefix(we.Error(), string(kind)+": ") || !strings.Contains(we.Error(), we.Message) {
		t.Errorf("Error() %q is not the crate's Display of %q", we.Error(), we.Message)
	}
	return we
}

// The flow of docs/window.md on the sandbox with the 24-hour rule on.
func TestWindowRefusedBlockWaitsForTheNextMessage(t *testing.T) {
	reset(t)
	w := openWindow(t, "sandbox-token", appSecret)

	// 1. A refused block is queued.
	r, err := w.BlockWhenPossible(bg, "1000", []string{stale})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Outcome.Succeeded) != 0 || len(r.Outcome.Failed) != 1 ||
		r.Outcome.Failed[0].Reason != wablock.ReasonReengagementRequired {
		t.Fatalf("outcome %+v", r.Outcome)
	}
	if len(r.Queued) != 1 || r.Queued[0] != stale {
		t.Fatalf("queued %q", r.Queued)
	}
	if !strings.HasPrefix(r.CanonicalJSON(), `{"outcome":{`) || !strings.HasSuffix(r.CanonicalJSON(), `"queued":["`+stale+`"]}`) {
		t.Errorf("JSON %s", r.CanonicalJSON())
	}
	p, err := w.Pending(bg)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Blocks) != 1 || p.Blocks[0].User != "16505550000" || p.Blocks[0].Input != stale ||
		p.Blocks[0].PhoneNumberID != "1000" || p.Blocks[0].ClaimOwner != "" ||
		time.Since(p.Blocks[0].CreatedAt) > 10*time.Minute {
		t.Fatalf("pending %+v", p.Blocks)
	}
	if !strings.HasPrefix(p.CanonicalJSON(), `{"pending":[{`) {
		t.Errorf("JSON %s", p.CanonicalJSON())
	}
	if s := windowState(t, w, stale); s.Kind != wablock.WindowUnknown || !s.At.IsZero() {
		t.Fatalf("state %+v", s)
	}

	// The user writes in; the sandbox signs the webhook of the message.
	body, signature := inboundWebhook(t, "16505550000")

	// 2. A tampered payload is refused with SIGNATURE, and nothing of it is recorded.
	tampered := append([]byte{}, body...)
	tampered[len(tampered)/2] ^= 0x01
	_, err = w.Ingest(bg, tampered, signature)
	we := windowErr(t, err, wablock.WindowSignature)
	if !strings.Contains(we.Message, "does not match") || we.Block != nil || errors.Unwrap(err) != nil {
		t.Errorf("tampered: %v", err)
	}
	if strings.Contains(err.Error(), appSecret) {
		t.Errorf("the app secret leaks: %v", err)
	}
	// The crate's JSON, in the core's error shape.
	if j := we.CanonicalJSON(); !strings.Contains(j, `"kind":"SIGNATURE"`) ||
		!strings.Contains(j, `"not_attempted":[]`) || !strings.Contains(j, `"http_status":null`) ||
		strings.Contains(j, appSecret) {
		t.Errorf("tampered JSON: %s", j)
	}
	_, err = w.Ingest(bg, body, "")
	if we := windowErr(t, err, wablock.WindowSignature); !strings.Contains(we.Message, "no X-Hub-Signature-256") {
		t.Errorf("unsigned: %v", err)
	}
	if s := windowState(t, w, stale); s.Kind != wablock.WindowUnknown {
		t.Fatalf("state after refused payloads %+v", s)
	}
	if n := pendingCount(t, w); n != 1 {
		t.Fatalf("%d pending after refused payloads", n)
	}

	// 3. The signed payload of the next message blocks the user.
	report, err := w.Ingest(bg, body, signature)
	if err != nil {
		t.Fatal(err)
	}
	if report.Messages != 1 || report.NewMessages != 1 || len(report.Blocks) != 1 {
		t.Fatalf("report %+v", report)
	}
	b := report.Blocks[0]
	if b.Input != stale || b.User != "16505550000" || b.PhoneNumberID != "1000" || b.StillPending ||
		b.Err != nil || b.Outcome == nil || len(b.Outcome.Succeeded) != 1 || b.Outcome.Succeeded[0].Input != stale {
		t.Fatalf("block %+v", b)
	}
	if !strings.Contains(b.CanonicalJSON(), `"still_pending":false`) {
		t.Errorf("block JSON %s", b.CanonicalJSON())
	}
	if !strings.HasPrefix(report.CanonicalJSON(), `{"ingest":{"blocks":[{`) ||
		!strings.HasSuffix(report.CanonicalJSON(), `"messages":1,"new_messages":1}}`) {
		t.Errorf("report JSON %s", report.CanonicalJSON())
	}

	// 4. The queue is empty; the window is open for about 24 hours.
	if n := pendingCount(t, w); n != 0 {
		t.Fatalf("%d pending after the block", n)
	}
	s := windowState(t, w, stale)
	if left := time.Until(s.At); s.Kind != wablock.WindowOpen || left < 23*time.Hour || left > 24*time.Hour {
		t.Fatalf("state %+v", s)
	}

	// 5. The same payload again changes nothing.
	before := len(requestLog(t))
	again, err := w.Ingest(bg, body, signature)
	if err != nil {
		t.Fatal(err)
	}
	if again.Messages != 1 || again.NewMessages != 0 || len(again.Blocks) != 0 {
		t.Fatalf("redelivery %+v", again)
	}
	if after := len(requestLog(t)); after != before {
		t.Fatalf("the redelivery made %d requests", after-before)
	}
	if n := pendingCount(t, w); n != 0 {
		t.Fatalf("%d pending after the redelivery", n)
	}
	left, err := w.ProcessPending(bg)
	if err != nil || len(left) != 0 {
		t.Fatalf("process_pending: %v %v", left, err)
	}
}

func TestWindowErrors(t *testing.T) {
	reset(t)

	// Bad store locations.
	_, err := wablock.OpenWindow(bg, "mysql://db.example/window")
	if we := windowErr(t, err, wablock.WindowInvalidArgument); !strings.Contains(we.Message, "scheme 'mysql'") {
		t.Errorf("mysql: %v", err)
	}
	blocker := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = wablock.OpenWindow(bg, filepath.Join(blocker, "window.db"))
	if we := windowErr(t, err, wablock.WindowStore); !strings.Contains(we.Message, "cannot create the directory") {
		t.Errorf("store: %v", err)
	}
	_, err = wablock.OpenWindow(bg, "postgres://wablock:hunter2-secret@127.0.0.1:1/db")
	windowErr(t, err, wablock.WindowStore)
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the password leaks: %v", err)
	}
	_, err = wablock.OpenWindow(bg, filepath.Join(t.TempDir(), "lease.db"), wablock.WithLease(-5*time.Millisecond))
	var core *wablock.Error
	if !errors.As(err, &core) || core.Kind != wablock.KindInvalidArgument || !strings.Contains(core.Message, "lease_ms is -5") {
		t.Errorf("negative lease: %v", err)
	}
	_, err = wablock.OpenWindow(bg, filepath.Join(t.TempDir(), "w.db"), wablock.WithWindowClient("1000", nil))
	if !errors.As(err, &core) || !strings.Contains(core.Message, "client is NULL") {
		t.Errorf("nil client: %v", err)
	}

	// Malformed bodies, without an app secret: nothing recorded.
	w := openWindow(t, "sandbox-token", "")
	for _, body := range []string{"", "not json", "{}", `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"id":"wamid.1"}]}}]}]}`} {
		_, err := w.Ingest(bg, []byte(body), "")
		windowErr(t, err, wablock.WindowMalformed)
	}
	if s := windowState(t, w, "16505550000"); s.Kind != wablock.WindowUnknown {
		t.Errorf("state %+v", s)
	}
	_, err = w.State(bg, "1000", "not a user")
	windowErr(t, err, wablock.WindowInvalidArgument)

	// No client for that number.
	_, err = w.BlockWhenPossible(bg, "999", []string{stale})
	if we := windowErr(t, err, wablock.WindowInvalidArgument); !strings.Contains(we.Message, "no client is configured for phone number id 999") {
		t.Errorf("no client: %v", err)
	}

	// Cancel: every input once.
	if _, err := w.BlockWhenPossible(bg, "1000", []string{stale}); err != nil {
		t.Fatal(err)
	}
	c, err := w.CancelPending(bg, "1000", []string{"1 650 555 0000", "+1 650 555 0199", "nope"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Cancelled) != 1 || c.Cancelled[0] != "1 650 555 0000" || len(c.NotPending) != 1 ||
		len(c.Invalid) != 1 || c.Invalid[0].Input != "nope" || c.Invalid[0].Reason == "" {
		t.Errorf("cancelled %+v", c)
	}
	_, err = w.CancelPending(bg, "1000", nil)
	windowErr(t, err, wablock.WindowInvalidArgument)

	// A done context does nothing.
	ctx, cancel := context.WithCancel(bg)
	cancel()
	if _, err := w.BlockWhenPossible(ctx, "1000", []string{stale}); !errors.Is(err, context.Canceled) {
		t.Errorf("done context: %v", err)
	}
	if n := pendingCount(t, w); n != 0 {
		t.Errorf("%d pending after a done context", n)
	}

	// Closed: every later call is refused.
	w.Close()
	w.Close()
	_, err = w.Pending(bg)
	if !errors.As(err, &core) || core.Kind != wablock.KindInvalidArgument || !strings.Contains(core.Message, "closed") {
		t.Errorf("closed: %v", err)
	}
}

// The block call failing as a whole: a WindowBlock error wrapping the core's, nothing queued.
func TestWindowBlockError(t *testing.T) {
	reset(t)
	w := openWindow(t, "not-the-token", appSecret)
	_, err := w.BlockWhenPossible(bg, "1000", []string{stale, "+1 650 555 0101"})
	we := windowErr(t, err, wablock.WindowBlock)
	var core *wablock.Error
	if !errors.As(err, &core) || core != we.Block {
		t.Fatalf("errors.As to the core's *Error: %v", err)
	}
	if !errors.Is(err, wablock.ErrAuth) || core.HTTPStatus == nil || *core.HTTPStatus != 401 {
		t.Errorf("core error %+v", core)
	}
	if we.Message != core.Error() || !strings.HasPrefix(err.Error(), "BLOCK: AUTH: ") {
		t.Errorf("texts %q / %q", err.Error(), core.Error())
	}
	if len(core.NotAttempted) != 2 || core.NotAttempted[1] != "+1 650 555 0101" {
		t.Errorf("not attempted %q", core.NotAttempted)
	}
	if strings.Contains(err.Error(), "not-the-token") {
		t.Errorf("the token leaks: %v", err)
	}
	if n := pendingCount(t, w); n != 0 {
		t.Errorf("%d queued after a failed call", n)
	}
	// An empty list is the core's to refuse.
	_, err = w.BlockWhenPossible(bg, "1000", nil)
	windowErr(t, err, wablock.WindowBlock)
	if !errors.Is(err, wablock.ErrInvalidArgument) {
		t.Errorf("empty list: %v", err)
	}
}

// A queued block that fails as a whole when taken up stays queued, with the core's error in
// the report; ProcessPending makes it later. Meanwhile the window is used from 8 goroutines.
func TestWindowRetryableFailureStaysQueued(t *testing.T) {
	reset(t)
	w := openWindow(t, "sandbox-token", appSecret)
	if _, err := w.BlockWhenPossible(bg, "1000", []string{stale}); err != nil {
		t.Fatal(err)
	}
	body, signature := inboundWebhook(t, "16505550000")
	// The next request is throttled for longer than the backoff cap: RATE_LIMITED at once.
	mustControl(t, "POST", "/_sandbox/script", map[string]any{"responses": []any{map[string]any{
		"status": 429, "headers": map[string]any{"Retry-After": "60"},
		"json": map[string]any{"error": map[string]any{"message": "slow down", "type": "OAuthException", "code": 130429}},
	}}})
	report, err := w.Ingest(bg, body, signature)
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Blocks) != 1 {
		t.Fatalf("report %+v", report)
	}
	b := report.Blocks[0]
	if !b.StillPending || b.Outcome != nil || b.Err == nil || b.Err.Kind != wablock.KindRateLimited ||
		!errors.Is(b.Err, wablock.ErrRateLimited) || !strings.Contains(b.CanonicalJSON(), `"still_pending":true`) {
		t.Fatalf("block %+v", b)
	}

	var wg sync.WaitGroup
	errs := make(chan error, 8*20)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if _, err := w.State(bg, "1000", stale); err != nil {
					errs <- err
				}
				if _, err := w.Pending(bg); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	done, err := w.ProcessPending(bg)
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 1 || done[0].StillPending || done[0].Err != nil || len(done[0].Outcome.Succeeded) != 1 {
		t.Fatalf("process_pending %+v", done)
	}
	if n := pendingCount(t, w); n != 0 {
		t.Fatalf("%d pending", n)
	}
}
