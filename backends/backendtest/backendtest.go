// Package backendtest is the one conformance suite every backends.Backend
// driver passes. A driver's test calls Run with a constructor that returns a
// fresh, empty backend for each subtest:
//
//	func TestConformance(t *testing.T) {
//		backendtest.Run(t, func(t *testing.T) backends.Backend { … }, backendtest.Options{})
//	}
//
// Besides the contract in package backends, the suite pins down:
//   - Stat("/") is a directory named "/"; a fresh backend lists nothing.
//   - Missing names and names below a missing folder are fs.ErrNotExist for
//     Stat, List, Open, Delete, Mkdir, Put and Move (source or destination
//     folder); nothing is created on the way.
//   - A path through a file ("/f/x") fails with fs.ErrNotExist or
//     fs.ErrInvalid. Open of a folder fails with fs.ErrInvalid. List of a file,
//     Delete of a non-empty folder (or of "/") and Put over a folder (or "/")
//     fail with any error and change nothing.
//   - Deleting or moving the last entry out of a folder leaves the folder.
//   - Open at EOF yields no bytes and no error (also for an empty file);
//     length 0 yields no bytes; a length past EOF yields what exists; an
//     offset past EOF either fails or yields no bytes.
//   - A file's ModTime (from Put, Stat, List) lies within an hour of now; a
//     folder's does too, or is zero (unknown). Touch is kept to the second,
//     for files and folders (List may still report zero for a folder).
//   - ETags, when reported, agree between Put, Stat and List and differ
//     between versions.
//   - A failed Put (reader error, short body, cancelled ctx) returns an error
//     and leaves neither partial content nor stray entries in List.
//   - Concurrent Puts to one name may fail, but at least one succeeds and the
//     result is exactly one successful version.
//   - Uploads and downloads stream: heap growth stays below
//     Options.MaxUploadHeap for Options.LargeSize bytes.
//
// Cases for optional interfaces skip when the driver lacks them.
package backendtest

import (
	"maps"
	"slices"
	"testing"

	"github.com/docuvault/docuvault/backends"
)

// Options tune the suite for a driver.
type Options struct {
	// MaxUploadHeap bounds the heap growth allowed while streaming the large
	// upload, and the large download (default 64 MiB).
	MaxUploadHeap int64
	// LargeSize is the size of the large streamed upload (default 256 MiB).
	// The large cases are skipped in -short mode.
	LargeSize int64
}

type testCase struct {
	name string
	run  func(*testing.T, backends.Backend)
}

// Run runs every conformance case against backends made by newBackend,
// calling it once per case.
func Run(t *testing.T, newBackend func(t *testing.T) backends.Backend, opts Options) {
	t.Helper()
	if opts.MaxUploadHeap <= 0 {
		opts.MaxUploadHeap = 64 << 20
	}
	if opts.LargeSize <= 0 {
		opts.LargeSize = 256 << 20
	}
	cases := []testCase{
		{"StatRoot", testStatRoot},
		{"PutStatListOpen", testPutStatListOpen},
		{"Missing", testMissing},
		{"PathThroughFile", testPathThroughFile},
		{"OpenDir", testOpenDir},
		{"ListFile", testListFile},
		{"Mkdir", testMkdir},
		{"Delete", testDelete},
		{"DeleteNonEmpty", testDeleteNonEmpty},
		{"PrefixSiblings", testPrefixSiblings},
		{"PutMissingParent", testPutMissingParent},
		{"PutOverDir", testPutOverDir},
		{"EmptyFile", testEmptyFile},
		{"RangedRead", testRangedRead},
		{"Overwrite", testOverwrite},
		{"ETag", testETag},
		{"UnknownSize", testUnknownSize},
	}
	for _, name := range slices.Sorted(maps.Keys(atomicCases)) {
		cases = append(cases, testCase{"Atomic" + name, testAtomic(atomicCases[name])})
	}
	cases = append(cases, []testCase{
		{"HostileNames", testHostileNames},
		{"HostileNested", testHostileNested},
		{"MoveFile", testMoveFile},
		{"MoveOverFile", testMoveOverFile},
		{"MoveDir", testMoveDir},
		{"MoveErrors", testMoveErrors},
		{"RemoveAll", testRemoveAll},
		{"Touch", testTouch},
		{"TouchDir", testTouchDir},
		{"Space", testSpace},
		{"Presign", testPresign},
		{"ListMany", testListMany},
		{"ConcurrentPut", testConcurrentPut},
		{"LargeUnknownSize", testLarge(opts, -1)},
		{"LargeKnownSize", testLarge(opts, opts.LargeSize)},
	}...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, newBackend(t)) })
	}
}
