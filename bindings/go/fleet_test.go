package wablock_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	wablock "github.com/wablock/wablock/bindings/go"
)

var fleetNumbers = []string{"1001", "1002", "1003"}

// threeNumbers is a fleet of the sandbox's numbers 1001-1003; refused (or "") gets a wrong token.
func threeNumbers(t *testing.T, refused string) *wablock.Fleet {
	t.Helper()
	var members []wablock.FleetMember
	for _, id := range fleetNumbers {
		token := "sandbox-token"
		if id == refused {
			token = "not-the-token"
		}
		c, err := wablock.NewMeta(id, token, wablock.WithBaseURL(sandboxURL), wablock.WithParallelism(4),
			wablock.WithRetryPolicy(wablock.RetryPolicy{MaxAttempts: 3, InitialBackoff: 1e6, MaxBackoff: 20e6}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		members = append(members, wablock.FleetMember{Label: id, Client: c})
	}
	f, err := wablock.NewFleet(members, wablock.WithTotalParallelism(6))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func openSandbox(t *testing.T) {
	reset(t)
	mustControl(t, "POST", "/_sandbox/config", map[string]any{"open": true})
	t.Cleanup(func() { reset(t) })
}

func blockedCount(t *testing.T, id string) int {
	var state struct {
		BlockedCount int `json:"blocked_count"`
	}
	if err := json.Unmarshal(mustControl(t, "GET", "/_sandbox/state?phone_number_id="+id, nil), &state); err != nil {
		t.Fatal(err)
	}
	return state.BlockedCount
}

func TestFleetOfThreeBlocks2500UsersWithEveryInputAccountedFor(t *testing.T) {
	openSandbox(t)
	var users []string
	for i := 0; i < 2500; i++ {
		users = append(users, fmt.Sprintf("+1 650 %07d", 1000000+i))
	}
	users = append(users, "not a number", users[0])
	r, err := threeNumbers(t, "").Block(context.Background(), users)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Entries) != 3 {
		t.Fatalf("%d entries", len(r.Entries))
	}
	for i, e := range r.Entries {
		if e.Label != fleetNumbers[i] || e.Err != nil || e.Outcome == nil {
			t.Fatalf("entry %d: %+v", i, e)
		}
		var accounted []string
		for _, s := range e.Outcome.Succeeded {
			accounted = append(accounted, s.Input)
		}
		for _, f := range e.Outcome.Failed {
			accounted = append(accounted, f.Input)
			if f.Reason != wablock.ReasonInvalidUser || f.Input != "not a number" {
				t.Errorf("%s: failed %+v", e.Label, f)
			}
		}
		if len(accounted) != len(users) || len(e.Outcome.Succeeded) != 2501 {
			t.Errorf("%s: %d of %d inputs accounted for", e.Label, len(accounted), len(users))
		}
		seen := map[string]int{}
		for _, a := range accounted {
			seen[a]++
		}
		for _, u := range users {
			if seen[u] == 0 {
				t.Errorf("%s: input %q missing", e.Label, u)
			}
		}
		if e.Outcome.Requests != 3 {
			t.Errorf("%s: %d requests", e.Label, e.Outcome.Requests)
		}
		if n := blockedCount(t, e.Label); n != 2500 {
			t.Errorf("%s: %d blocked", e.Label, n)
		}
	}
}

func TestFleetOneRefusedTokenLeavesTheOthersOutcomes(t *testing.T) {
	openSandbox(t)
	users := []string{"+16505550001", "+16505550002", "+16505550003"}
	fleet := threeNumbers(t, "1002")
	r, err := fleet.Block(context.Background(), users)
	if err != nil {
		t.Fatal(err)
	}
	bad, _ := r.Get("1002")
	if bad.Err == nil || !errors.Is(bad.Err, wablock.ErrAuth) || len(bad.Err.NotAttempted) != 3 || bad.Outcome != nil {
		t.Fatalf("1002: %+v", bad)
	}
	for _, id := range []string{"1001", "1003"} {
		e, _ := r.Get(id)
		if e.Err != nil || len(e.Outcome.Succeeded) != 3 {
			t.Errorf("%s: %+v", id, e)
		}
	}
	if !strings.HasPrefix(r.CanonicalJSON(), `{"fleet":{"1001":{"outcome":`) ||
		!strings.Contains(r.CanonicalJSON(), `"1002":{"error":{`) {
		t.Errorf("json %s", r.CanonicalJSON())
	}
	if blockedCount(t, "1002") != 0 {
		t.Error("1002 blocked someone")
	}

	walk, err := fleet.BlockedUsers(context.Background(), wablock.WithLimit(2))
	if err != nil {
		t.Fatal(err)
	}
	if len(walk.Users) != 3 || strings.Join(walk.Users[0].BlockedOn, ",") != "1001,1003" ||
		len(walk.Errors) != 1 || walk.Errors[0].Label != "1002" || walk.Errors[0].Err.Kind != wablock.KindAuth {
		t.Errorf("walk %+v", walk)
	}

	answers, err := fleet.Select("1003", "1002").IsBlocked(context.Background(), "16505550002")
	if err != nil {
		t.Fatal(err)
	}
	if len(answers.Entries) != 2 || answers.Entries[0].Label != "1003" || !answers.Entries[0].Blocked ||
		answers.Entries[1].Err == nil {
		t.Errorf("answers %+v", answers.Entries)
	}

	_, err = fleet.Select("9999").Block(context.Background(), users)
	var e *wablock.Error
	if !errors.As(err, &e) || e.Kind != wablock.KindInvalidArgument || !strings.Contains(e.Message, `"9999"`) {
		t.Errorf("unknown label: %v", err)
	}

	// An already-done context: every number's entry is its own CANCELLED error, nothing sent.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := postCount(t)
	r, err = fleet.Block(ctx, users)
	if err != nil {
		t.Fatalf("cancelled ctx: the call failed as a whole: %v", err)
	}
	for _, e := range r.Entries {
		if !errors.Is(e.Err, context.Canceled) || len(e.Err.NotAttempted) != len(users) {
			t.Errorf("cancelled ctx, %s: %v", e.Label, e.Err)
		}
	}
	if n := postCount(t); n != before {
		t.Errorf("a cancelled context sent %d requests", n-before)
	}
}

func TestFleetLabelsAreCheckedByTheCore(t *testing.T) {
	c, err := wablock.NewMeta("1001", "sandbox-token", wablock.WithBaseURL(sandboxURL))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = wablock.NewFleet([]wablock.FleetMember{{Label: "a", Client: c}, {Label: "a", Client: c}})
	if !errors.Is(err, wablock.ErrInvalidArgument) || !strings.Contains(err.Error(), "used twice") {
		t.Errorf("duplicate label: %v", err)
	}
	if _, err := wablock.NewFleet(nil); !errors.Is(err, wablock.ErrInvalidArgument) {
		t.Errorf("empty fleet: %v", err)
	}
}

// A cancelled context stops every number of a fleet at its next batch: each entry is that
// number's own CANCELLED error (unwrapping to context.Canceled) with every input accounted
// for, and no request starts after the cancel beyond those in flight.
func TestFleetCancelledContextStopsEveryNumber(t *testing.T) {
	openSandbox(t)
	mustControl(t, "POST", "/_sandbox/config", map[string]any{"open": true, "latency_ms": 20})
	f := threeNumbers(t, "")
	users := manyUsers()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		r   *wablock.FleetResults
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := f.Block(ctx, users)
		done <- result{r, err}
	}()
	for postCount(t) < 6 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	atCancel := postCount(t)
	res := <-done
	atEnd := postCount(t)
	if res.err != nil {
		t.Fatalf("the fleet call failed as a whole: %v", res.err)
	}
	// Total parallelism 6: at most 6 requests were in flight when the handle fired.
	if atEnd-atCancel > 6 || atEnd >= 3*64 {
		t.Fatalf("%d requests when cancelled, %d at the end", atCancel, atEnd)
	}
	for _, e := range res.r.Entries {
		var werr *wablock.Error
		if !errors.As(e.Err, &werr) || werr.Kind != wablock.KindCancelled {
			t.Fatalf("%s: want CANCELLED, got %v", e.Label, e.Err)
		}
		if !errors.Is(e.Err, context.Canceled) {
			t.Fatalf("%s: errors.Is(err, context.Canceled) is false for %v", e.Label, e.Err)
		}
		answered := 0
		if werr.Partial != nil {
			answered = len(werr.Partial.Succeeded) + len(werr.Partial.Failed)
		}
		if answered+len(werr.NotAttempted) != len(users) {
			t.Fatalf("%s: %d answered + %d not attempted, want %d", e.Label, answered, len(werr.NotAttempted), len(users))
		}
	}
}
