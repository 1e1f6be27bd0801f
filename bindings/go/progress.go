package wablock

// The progress callback crosses into Go here. This file holds the //export, so its C preamble
// may only declare (a cgo rule); the helpers live in wablock.go.

/*
#include <stddef.h>
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

type progressState struct {
	fn       ProgressFunc
	panicked any
}

//export wablockGoProgress
func wablockGoProgress(done, total C.size_t, userData unsafe.Pointer) (cancel C.int) {
	state := cgo.Handle(uintptr(userData)).Value().(*progressState)
	defer func() {
		// A panic must not unwind through Rust: cancel, and re-panic in the caller.
		if r := recover(); r != nil {
			state.panicked = r
			cancel = 1
		}
	}()
	if state.fn(int(done), int(total)) {
		return 0
	}
	return 1
}
