package wablock

/*
#include "wablock.h"
*/
import "C"

import (
	"context"
	"runtime"
)

// callScope is the C client (or fleet) one call runs on: the Client's own, or, when ctx can be
// cancelled, a clone of it that observes a fresh core cancel handle which ctx triggers. The
// core then stops the call before its next batch, page, request or retry (requests in flight
// finish), and fails it as KindCancelled with the usual accounting (Partial, NotAttempted).
type callScope struct {
	ctx    context.Context
	ptr    *C.wablock_client // the client a Client call runs on
	fleet  *C.wablock_fleet  // the fleet a Fleet call runs on
	window *C.wablock_window // the window a Window call runs on
	cancel *C.wablock_cancel
	free   func() // frees the clone made for the handle
	stop   func() bool
	fired  chan struct{}
}

// newScope makes the cancel handle ctx triggers, unless ctx can never be cancelled
// (context.Background()): then the call runs on the original, with no handle and no goroutine.
func newScope(ctx context.Context) (*callScope, error) {
	if ctx == nil {
		panic("wablock: nil context.Context (use context.Background())")
	}
	s := &callScope{ctx: ctx}
	if ctx.Done() == nil {
		return s, nil
	}
	var cerr *C.wablock_error
	if st := C.wablock_cancel_new(&s.cancel, &cerr); st != C.WABLOCK_OK {
		return nil, takeError(st, cerr)
	}
	return s, nil
}

// arm lets ctx trigger the handle, once the clone observing it exists. An already-done
// context triggers it at once: the call then sends nothing and fails with every input in
// NotAttempted.
func (s *callScope) arm() {
	s.fired = make(chan struct{})
	s.stop = context.AfterFunc(s.ctx, func() {
		C.wablock_cancel_trigger(s.cancel)
		close(s.fired)
	})
	s.sync()
}

// observe makes the clone that observes s.cancel (clone returns the C status and how to free
// the clone), then lets ctx trigger the handle. On failure the handle is freed.
func (s *callScope) observe(clone func(**C.wablock_error) (C.wablock_status, func())) error {
	var cerr *C.wablock_error
	st, free := clone(&cerr)
	if st != C.WABLOCK_OK {
		C.wablock_cancel_free(s.cancel)
		return takeError(st, cerr)
	}
	s.free = free
	s.arm()
	return nil
}

// scope prepares a call of c under ctx. end must be called once the C call has returned.
func (c *Client) scope(ctx context.Context) (*callScope, error) {
	s, err := newScope(ctx)
	if err != nil {
		return nil, err
	}
	s.ptr = c.ptr
	if s.cancel == nil {
		return s, nil
	}
	err = s.observe(func(cerr **C.wablock_error) (C.wablock_status, func()) {
		var scoped *C.wablock_client
		st := C.wablock_client_with_cancel(c.ptr, s.cancel, &scoped, cerr)
		runtime.KeepAlive(c)
		s.ptr = scoped
		return st, func() { C.wablock_client_free(scoped) }
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// scope prepares a call of f under ctx, as Client.scope does. end must be called once the C
// call has returned.
func (f *Fleet) scope(ctx context.Context) (*callScope, error) {
	s, err := newScope(ctx)
	if err != nil {
		return nil, err
	}
	s.fleet = f.ptr
	if s.cancel == nil {
		return s, nil
	}
	err = s.observe(func(cerr **C.wablock_error) (C.wablock_status, func()) {
		var scoped *C.wablock_fleet
		st := C.wablock_fleet_with_cancel(f.ptr, s.cancel, &scoped, cerr)
		runtime.KeepAlive(f)
		s.fleet = scoped
		return st, func() { C.wablock_fleet_free(scoped) }
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// scope prepares a call of w under ctx, as Client.scope does, on a window made by
// wablock_window_with_cancel (same store, clients and claims). end must be called once the C
// call has returned: it frees that window, so a Close of w still releases the store once the
// calls in flight end.
func (w *Window) scope(ctx context.Context) (*callScope, error) {
	s, err := newScope(ctx)
	if err != nil {
		return nil, err
	}
	s.window = w.ptr
	if s.cancel == nil {
		return s, nil
	}
	err = s.observe(func(cerr **C.wablock_error) (C.wablock_status, func()) {
		var scoped *C.wablock_window
		st := C.wablock_window_with_cancel(w.ptr, s.cancel, &scoped, cerr)
		runtime.KeepAlive(w)
		s.window = scoped
		return st, func() { C.wablock_window_free(scoped) }
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// wrapWindow ties the core's KindCancelled error behind a Window call's error (a WindowBlock
// error's Block, or a plain *Error) to the context that caused it; see wrap.
func (s *callScope) wrapWindow(err error) error {
	switch e := err.(type) {
	case *WindowError:
		if e.Block != nil {
			s.tie(e.Block)
		}
	case *Error:
		s.tie(e)
	}
	return err
}

// sync triggers the handle now if ctx is already done: AfterFunc runs its function in a
// goroutine of its own, and the next C call must not start before it has run.
func (s *callScope) sync() {
	if s.cancel != nil && s.ctx.Err() != nil {
		C.wablock_cancel_trigger(s.cancel)
	}
}

// end releases the scope once its C call (or walk) is over. ctx can no longer trigger it.
func (s *callScope) end() {
	if s.cancel == nil {
		return
	}
	if !s.stop() {
		// The trigger has started: let it finish before the handle is freed.
		<-s.fired
	}
	s.free()
	C.wablock_cancel_free(s.cancel)
}

// wrap ties a KindCancelled error to the context that caused it, so that
// errors.Is(err, context.Canceled) (or context.DeadlineExceeded) holds as well as
// errors.Is(err, ErrCancelled). Any other error is returned as it is.
func (s *callScope) wrap(err *Error) error {
	if err == nil {
		return nil
	}
	s.tie(err)
	return err
}

// tie makes a KindCancelled error unwrap to the context that caused it (a Client call's error,
// or one fleet entry's).
func (s *callScope) tie(err *Error) {
	if err.Kind == KindCancelled && s.cancel != nil {
		if cause := s.ctx.Err(); cause != nil {
			err.cause = cause
		}
	}
}

// Unwrap returns the context error that cancelled the call (context.Canceled or
// context.DeadlineExceeded), or nil: errors.Is(err, context.Canceled) sees through an Error.
func (e *Error) Unwrap() error { return e.cause }
