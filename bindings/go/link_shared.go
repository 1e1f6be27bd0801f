//go:build !wablock_static

package wablock

// The default: the shared libwablock, found through the wablock.pc that `make install` writes.
// The directive lives in its own file, chosen by build tag, because Go's build cache keys a
// package on its files: a tag-conditional #cgo line in one shared file would let a cached
// shared build be reused for a static one.

// #cgo pkg-config: wablock
import "C"
