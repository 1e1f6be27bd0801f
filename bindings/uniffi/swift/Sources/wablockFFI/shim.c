/* SwiftPM needs one source file in a C target; the real code is the Rust library
 * libwablock_uniffi, linked by Package.swift. include/ holds the generated header and module
 * map (copied by `make swift`). */
