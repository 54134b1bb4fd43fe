// Package backends defines the storage driver interface that davfs maps each
// user's namespace onto, and the optional capabilities a driver may add.
//
// A Backend is a dumb driver. Names it receives are already cleaned by the
// caller: slash-separated, absolute ("/" is the root), without "." or ".."
// elements, without NUL bytes. Per-user roots, quota, locks and properties live
// in davfs, not here.
//
// Errors wrap fs.ErrNotExist (missing name or missing parent), fs.ErrExist
// (Mkdir on an existing name), fs.ErrInvalid (an operation that does not apply,
// e.g. Open on a directory) or fs.ErrPermission. Other errors mean the storage
// itself failed. All methods are safe for concurrent use.
package backends

import (
	"context"
	"errors"
	"io"
	"net/url"
	"time"
)

// ErrUnavailable wraps failures to reach the storage at all (connection
// refused, DNS, timeouts, 5xx from the service). davfs answers 503 for it;
// the next request tries again.
var ErrUnavailable = errors.New("storage unavailable")

// FileInfo describes one entry.
type FileInfo struct {
	Name    string // base name; "/" for the root
	Size    int64  // bytes; 0 for directories
	ModTime time.Time
	IsDir   bool
	// ETag is a strong validator that changes whenever the content changes.
	// Drivers that have none leave it empty and davfs derives one.
	ETag string
}

// Backend is the required interface every driver implements.
type Backend interface {
	// Stat describes name.
	Stat(ctx context.Context, name string) (FileInfo, error)
	// List returns the entries of directory dir in no particular order.
	List(ctx context.Context, dir string) ([]FileInfo, error)
	// Open reads file name from offset; length < 0 reads to the end.
	Open(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error)
	// Put stores r as file name. size is the exact length or -1 when unknown.
	// Put is atomic: if r returns an error, ctx is cancelled or fewer than size
	// bytes arrive, the previous content (or absence) of name is left intact
	// and nothing partial is visible. The parent directory must exist.
	Put(ctx context.Context, name string, r io.Reader, size int64) (FileInfo, error)
	// Delete removes a file or an empty directory.
	Delete(ctx context.Context, name string) error
	// Mkdir creates one directory; its parent must exist.
	Mkdir(ctx context.Context, name string) error
}

// Mover renames a file or a whole directory within one backend, replacing a
// file at dst. davfs falls back to copy and delete without it.
type Mover interface {
	Move(ctx context.Context, src, dst string) error
}

// RemoveAller removes a directory with everything below it. davfs falls back
// to a recursive walk with Delete without it.
type RemoveAller interface {
	RemoveAll(ctx context.Context, name string) error
}

// Toucher sets the modification time of a file or directory. A backend
// that combines storages may return errors.ErrUnsupported for names on one
// that cannot, and report that ahead through TouchChecker.
type Toucher interface {
	Touch(ctx context.Context, name string, mtime time.Time) error
}

// TouchChecker reports whether Touch can work for name.
type TouchChecker interface {
	CanTouch(name string) bool
}

// CanTouch reports whether b can set the modification time of name.
func CanTouch(b Backend, name string) bool {
	if _, ok := b.(Toucher); !ok {
		return false
	}
	if c, ok := b.(TouchChecker); ok {
		return c.CanTouch(name)
	}
	return true
}

// SpaceReporter reports the storage's own idea of used and available bytes
// (a remote server's quota). available < 0 means unknown.
type SpaceReporter interface {
	Space(ctx context.Context) (used, available int64, err error)
}

// Presigner makes a time-limited URL from which a browser can GET a file
// directly from the storage.
type Presigner interface {
	PresignGet(ctx context.Context, name string, expiry time.Duration) (*url.URL, error)
}
