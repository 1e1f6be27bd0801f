//go:build wablock_static

package wablock

// With -tags wablock_static: libwablock.a through wablock-static.pc, so the program needs no
// libwablock.so at run time (see link_shared.go for why this is a separate file).

// #cgo pkg-config: wablock-static
import "C"
