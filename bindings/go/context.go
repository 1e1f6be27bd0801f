package wablock

/*
#include "wablock.h"
*/
import "C"

import (
	"context"
	"runtime"
)

// callScope is the C client one call runs on: the Client's own, or, when ctx can be
// cancelled, a clone of it that observes a fresh core cancel handle which ctx triggers. The
// core then stops the call before its next batch, page, request or retry (requests in flight
// finish), and fails it as KindCancelled with the usual accounting (Partial, NotAttempted).
type callScope struct {
	ctx    context.Context
	ptr    *C.wablock_client
	cancel *C.wablock_cancel
	stop   func() bool
	fired  chan struct{}
}

// scope prepares a call of c under ctx. end must be called once the C call has returned.
func (c *Client) scope(ctx context.Context) (*callScope, error) {
	if ctx == nil {
		panic("wablock: nil context.Context (use context.Background())")
	}
	s := &callScope{ctx: ctx, ptr: c.ptr}
	if ctx.Done() == nil {
		// Never cancelled (context.Background()): no handle, no goroutine.
		return s, nil
	}
	var cerr *C.wablock_error
	if st := C.wablock_cancel_new(&s.cancel, &cerr); st != C.WABLOCK_OK {
		return nil, takeError(st, cerr)
	}
	var scoped *C.wablock_client
	st := C.wablock_client_with_cancel(c.ptr, s.cancel, &scoped, &cerr)
	runtime.KeepAlive(c)
	if st != C.WABLOCK_OK {
		C.wablock_cancel_free(s.cancel)
		return nil, takeError(st, cerr)
	}
	s.ptr = scoped
	s.fired = make(chan struct{})
	// An already-done context triggers the handle at once: the call then sends nothing and
	// fails with every input in NotAttempted.
	s.stop = context.AfterFunc(ctx, func() {
		C.wablock_cancel_trigger(s.cancel)
		close(s.fired)
	})
	s.sync()
	return s, nil
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
	C.wablock_client_free(s.ptr)
	C.wablock_cancel_free(s.cancel)
}

// wrap ties a KindCancelled error to the context that caused it, so that
// errors.Is(err, context.Canceled) (or context.DeadlineExceeded) holds as well as
// errors.Is(err, ErrCancelled). Any other error is returned as it is.
func (s *callScope) wrap(err *Error) error {
	if err == nil {
		return nil
	}
	if err.Kind == KindCancelled && s.cancel != nil {
		if cause := s.ctx.Err(); cause != nil {
			err.cause = cause
		}
	}
	return err
}

// Unwrap returns the context error that cancelled the call (context.Canceled or
// context.DeadlineExceeded), or nil: errors.Is(err, context.Canceled) sees through an Error.
func (e *Error) Unwrap() error { return e.cause }
