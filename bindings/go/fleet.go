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
	"unsafe"
)

// FleetMember is one phone number of a fleet: its client under its label (the phone number ID
// for Meta, a name of your choosing for 360dialog, where each number has its own API key).
type FleetMember struct {
	Label  string
	Client *Client
}

// FleetOption changes a setting of a fleet before it is built.
type FleetOption func(*C.wablock_fleet_builder, **C.wablock_error) C.wablock_status

// WithTotalParallelism bounds the requests in flight across every number (default 16). Each
// number's own parallelism still adapts to its own rate limits, inside this bound.
func WithTotalParallelism(n int) FleetOption {
	return func(b *C.wablock_fleet_builder, e **C.wablock_error) C.wablock_status {
		return C.wablock_fleet_builder_set_total_parallelism(b, C.size_t(n), e)
	}
}

// Fleet runs one call on several phone numbers of a business (docs/fleet.md) and keeps one
// result per number: one number failing as a whole never hides the others' results. It is safe
// for concurrent use. The fleet shares its members' connection pools; its C handle is freed by
// the garbage collector.
type Fleet struct {
	ptr    *C.wablock_fleet
	labels []string // nil: every number; else the numbers chosen by Select
	parent *Fleet   // keeps the handle alive for a selection
}

// NewFleet builds a fleet from labelled clients. The core checks the labels (at least one,
// none empty, no two alike) and the options.
func NewFleet(members []FleetMember, opts ...FleetOption) (*Fleet, error) {
	var b *C.wablock_fleet_builder
	var cerr *C.wablock_error
	if st := C.wablock_fleet_builder_new(&b, &cerr); st != C.WABLOCK_OK {
		return nil, takeError(st, cerr)
	}
	defer C.wablock_fleet_builder_free(b)
	for _, m := range members {
		label := newCString(m.Label)
		var client *C.wablock_client
		if m.Client != nil {
			client = m.Client.ptr
		}
		st := C.wablock_fleet_builder_add(b, label.view, client, &cerr)
		label.free()
		runtime.KeepAlive(m.Client)
		if st != C.WABLOCK_OK {
			return nil, takeError(st, cerr)
		}
	}
	for _, o := range opts {
		if st := o(b, &cerr); st != C.WABLOCK_OK {
			return nil, takeError(st, cerr)
		}
	}
	var f *C.wablock_fleet
	if st := C.wablock_fleet_builder_build(b, &f, &cerr); st != C.WABLOCK_OK {
		return nil, takeError(st, cerr)
	}
	fleet := &Fleet{ptr: f}
	runtime.SetFinalizer(fleet, func(f *Fleet) { C.wablock_fleet_free(f.ptr) })
	return fleet, nil
}

// Select is the fleet restricted to the numbers labelled, in the order given. An unknown label
// is refused by the core (KindInvalidArgument, naming the known labels) when a call is made.
func (f *Fleet) Select(labels ...string) *Fleet {
	root := f
	if f.parent != nil {
		root = f.parent
	}
	return &Fleet{ptr: f.ptr, labels: append([]string{}, labels...), parent: root}
}

// FleetEntry is one number's result of Block or Unblock: its own Outcome (every input
// accounted for), or its own Err (with its own Partial and NotAttempted).
type FleetEntry struct {
	Label   string
	Outcome *Outcome
	Err     *Error
}

// FleetResults holds one entry per number, in fleet order.
type FleetResults struct {
	Entries []FleetEntry

	canonical string
}

// Get is the entry of the number labelled label.
func (r *FleetResults) Get(label string) (FleetEntry, bool) {
	for _, e := range r.Entries {
		if e.Label == label {
			return e, true
		}
	}
	return FleetEntry{}, false
}

// CanonicalJSON is {"fleet":{"<label>":{"outcome":…}|{"error":…}}}, keys sorted, compact; the
// core's own text.
func (r *FleetResults) CanonicalJSON() string { return r.canonical }

// FleetAnswer is one number's answer to IsBlocked, or its own Err.
type FleetAnswer struct {
	Label   string
	Blocked bool
	Err     *Error
}

// FleetAnswers holds one answer per number, in fleet order.
type FleetAnswers struct {
	Entries []FleetAnswer

	canonical string
}

// CanonicalJSON is {"fleet":{"<label>":{"is_blocked":…}|{"error":…}}}; the core's own text.
func (a *FleetAnswers) CanonicalJSON() string { return a.canonical }

// FleetBlockedUser is a user on one or more of the fleet's blocklists, with the labels of the
// numbers that block them (fleet order).
type FleetBlockedUser struct {
	BlockedUser
	BlockedOn []string
}

// FleetWalkError is a number whose walk ended in an error: its list may be incomplete.
type FleetWalkError struct {
	Label string
	Err   *Error
}

// FleetBlocklist is the merged walk: each user once, in the order first seen, and the numbers
// whose walk failed.
type FleetBlocklist struct {
	Users  []FleetBlockedUser
	Errors []FleetWalkError

	canonical string
}

// CanonicalJSON is {"fleet_blocked_users":{"errors":{…},"users":[…]}}; the core's own text.
func (b *FleetBlocklist) CanonicalJSON() string { return b.canonical }

// chosen is the C view of the selected labels (nil pointer for every number).
func (f *Fleet) chosen() (cStringList, *C.wablock_str, C.size_t) {
	if f.labels == nil {
		return cStringList{}, nil, 0
	}
	l := newCStringList(f.labels)
	return l, l.views, C.size_t(len(f.labels))
}

// Block blocks users on every number (or the numbers selected), numbers in parallel. The error
// is non-nil only when the call is refused as a whole (an unknown label); a number failing is
// its entry's Err. Cancelling ctx stops every number before its next batch: each entry is
// then its own KindCancelled error, unwrapping to ctx's error, with its own accounting.
func (f *Fleet) Block(ctx context.Context, users []string) (*FleetResults, error) {
	return f.mutate(ctx, true, users)
}

// Unblock unblocks users on every number (or the numbers selected); see Block.
func (f *Fleet) Unblock(ctx context.Context, users []string) (*FleetResults, error) {
	return f.mutate(ctx, false, users)
}

func (f *Fleet) mutate(ctx context.Context, block bool, users []string) (*FleetResults, error) {
	list := newCStringList(users)
	defer list.free()
	labels, lp, ln := f.chosen()
	defer labels.free()
	var r *C.wablock_fleet_results
	var cerr *C.wablock_error
	var st C.wablock_status
	s, err := f.scope(ctx)
	if err != nil {
		return nil, err
	}
	if block {
		st = C.wablock_fleet_block(s.fleet, list.views, C.size_t(len(users)), lp, ln, &r, &cerr)
	} else {
		st = C.wablock_fleet_unblock(s.fleet, list.views, C.size_t(len(users)), lp, ln, &r, &cerr)
	}
	s.end()
	runtime.KeepAlive(f)
	if st != C.WABLOCK_OK {
		return nil, takeError(st, cerr)
	}
	defer C.wablock_fleet_results_free(r)
	out := &FleetResults{canonical: takeString(C.wablock_fleet_results_to_json(r))}
	n := int(C.wablock_fleet_results_count(r))
	for i := 0; i < n; i++ {
		var e C.wablock_fleet_entry
		if C.wablock_fleet_results_get(r, C.size_t(i), &e, nil) != C.WABLOCK_OK {
			continue
		}
		entry := FleetEntry{Label: C.GoStringN(e.label, C.int(e.label_len))}
		if e.outcome != nil {
			entry.Outcome = convertOutcome(e.outcome)
		}
		if e.error != nil {
			ce := convertError(e.error)
			s.tie(ce)
			entry.Err = ce
		}
		out.Entries = append(out.Entries, entry)
	}
	return out, nil
}

// IsBlocked asks every number (or the numbers selected) whether user is on its blocklist.
func (f *Fleet) IsBlocked(ctx context.Context, user string) (*FleetAnswers, error) {
	u := newCString(user)
	defer u.free()
	labels, lp, ln := f.chosen()
	defer labels.free()
	var r *C.wablock_fleet_results
	var cerr *C.wablock_error
	s, err := f.scope(ctx)
	if err != nil {
		return nil, err
	}
	st := C.wablock_fleet_is_blocked(s.fleet, u.view, lp, ln, &r, &cerr)
	s.end()
	runtime.KeepAlive(f)
	if st != C.WABLOCK_OK {
		return nil, takeError(st, cerr)
	}
	defer C.wablock_fleet_results_free(r)
	out := &FleetAnswers{canonical: takeString(C.wablock_fleet_results_to_json(r))}
	n := int(C.wablock_fleet_results_count(r))
	for i := 0; i < n; i++ {
		var e C.wablock_fleet_entry
		if C.wablock_fleet_results_get(r, C.size_t(i), &e, nil) != C.WABLOCK_OK {
			continue
		}
		a := FleetAnswer{Label: C.GoStringN(e.label, C.int(e.label_len)), Blocked: bool(e.is_blocked)}
		if e.error != nil {
			ce := convertError(e.error)
			s.tie(ce)
			a.Err = ce
		}
		out.Entries = append(out.Entries, a)
	}
	return out, nil
}

// BlockedUsers walks every number's blocklist (or the numbers selected) and merges them;
// WithLimit sets the page size. A number whose walk failed keeps the users it yielded and is
// listed in Errors.
func (f *Fleet) BlockedUsers(ctx context.Context, opts ...ListOption) (*FleetBlocklist, error) {
	p := listParamsOf(opts)
	labels, lp, ln := f.chosen()
	defer labels.free()
	var b *C.wablock_fleet_blocklist
	var cerr *C.wablock_error
	s, err := f.scope(ctx)
	if err != nil {
		return nil, err
	}
	st := C.wablock_fleet_blocked_users(s.fleet, C.bool(p.hasLimit), C.int64_t(p.limit), lp, ln, &b, &cerr)
	s.end()
	runtime.KeepAlive(f)
	if st != C.WABLOCK_OK {
		return nil, takeError(st, cerr)
	}
	defer C.wablock_fleet_blocklist_free(b)
	out := &FleetBlocklist{canonical: takeString(C.wablock_fleet_blocklist_to_json(b))}
	n := int(C.wablock_fleet_blocklist_user_count(b))
	for i := 0; i < n; i++ {
		var u C.wablock_fleet_blocked_user
		if C.wablock_fleet_blocklist_user_get(b, C.size_t(i), &u, nil) != C.WABLOCK_OK {
			continue
		}
		user := FleetBlockedUser{BlockedUser: BlockedUser{WaID: goStringOrEmpty(u.wa_id), UserID: goStringOrEmpty(u.user_id)}}
		for _, l := range unsafe.Slice(u.blocked_on, int(u.blocked_on_count)) {
			user.BlockedOn = append(user.BlockedOn, C.GoString(l))
		}
		out.Users = append(out.Users, user)
	}
	ne := int(C.wablock_fleet_blocklist_error_count(b))
	for i := 0; i < ne; i++ {
		var we C.wablock_fleet_walk_error
		if C.wablock_fleet_blocklist_error_get(b, C.size_t(i), &we, nil) != C.WABLOCK_OK {
			continue
		}
		ce := convertError(we.error)
		s.tie(ce)
		out.Errors = append(out.Errors, FleetWalkError{
			Label: C.GoStringN(we.label, C.int(we.label_len)),
			Err:   ce,
		})
	}
	return out, nil
}
