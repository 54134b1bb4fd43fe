package obs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net/url"
	"time"

	"github.com/docuvault/docuvault/backends"
)

// Backend wraps b so that failures on the storage's side count towards
// docuvault_backend_errors_total{driver}. Missing files, refused names,
// cancelled requests and a client's broken upload body are not failures.
//
// Wrappers nest: the driver of the innermost wrapper that saw an error is
// the one counted, so a user's whole namespace can be wrapped as "local"
// over remote storages wrapped as "s3" without counting an S3 error twice.
//
// The result is a Mover, RemoveAller, Toucher and TouchChecker (falling
// back like backends.Move, backends.RemoveAll and backends.CanTouch do), and
// a SpaceReporter or Presigner exactly when b is: those have no fallback.
func (m *Metrics) Backend(driver string, b backends.Backend) backends.Backend {
	c := &counted{b: b, driver: driver, m: m}
	_, space := b.(backends.SpaceReporter)
	_, presign := b.(backends.Presigner)
	switch {
	case space && presign:
		return countedSpacePresign{c}
	case space:
		return countedSpace{c}
	case presign:
		return countedPresign{c}
	}
	return c
}

// WrapOpener wraps a storage opener: a failure to connect counts as op
// "connect", and what it opens is wrapped by Backend.
func WrapOpener[S any](m *Metrics, driver string, open func(ctx context.Context, s S) (backends.Backend, error)) func(ctx context.Context, s S) (backends.Backend, error) {
	return func(ctx context.Context, s S) (backends.Backend, error) {
		b, err := open(ctx, s)
		return m.opened(driver, b, err)
	}
}

func (m *Metrics) opened(driver string, b backends.Backend, err error) (backends.Backend, error) {
	if err != nil {
		return nil, m.note(driver, "connect", err)
	}
	return m.Backend(driver, b), nil
}

// countedError marks an error already counted by an inner wrapper.
type countedError struct{ err error }

func (e countedError) Error() string { return e.err.Error() }
func (e countedError) Unwrap() error { return e.err }

// note counts err for driver unless it is no storage failure or was counted
// already, and returns it marked.
func (m *Metrics) note(driver, op string, err error) error {
	if err == nil || !isFailure(err) {
		return err
	}
	var c countedError
	if errors.As(err, &c) {
		return err
	}
	m.BackendError(driver, op)
	return countedError{err}
}

func isFailure(err error) bool {
	for _, e := range []error{fs.ErrNotExist, fs.ErrExist, fs.ErrInvalid, fs.ErrPermission,
		errors.ErrUnsupported, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, e) {
			return false
		}
	}
	return true
}

type counted struct {
	b      backends.Backend
	driver string
	m      *Metrics
}

var (
	_ backends.Backend       = (*counted)(nil)
	_ backends.Mover         = (*counted)(nil)
	_ backends.RemoveAller   = (*counted)(nil)
	_ backends.Toucher       = (*counted)(nil)
	_ backends.TouchChecker  = (*counted)(nil)
	_ backends.SpaceReporter = countedSpace{}
	_ backends.Presigner     = countedPresign{}
	_ backends.SpaceReporter = countedSpacePresign{}
	_ backends.Presigner     = countedSpacePresign{}
)

type (
	countedSpace        struct{ *counted }
	countedPresign      struct{ *counted }
	countedSpacePresign struct{ *counted }
)

func (c countedSpace) Space(ctx context.Context) (int64, int64, error) { return c.space(ctx) }
func (c countedPresign) PresignGet(ctx context.Context, name string, expiry time.Duration) (*url.URL, error) {
	return c.presign(ctx, name, expiry)
}
func (c countedSpacePresign) Space(ctx context.Context) (int64, int64, error) { return c.space(ctx) }
func (c countedSpacePresign) PresignGet(ctx context.Context, name string, expiry time.Duration) (*url.URL, error) {
	return c.presign(ctx, name, expiry)
}

func (c *counted) Stat(ctx context.Context, name string) (backends.FileInfo, error) {
	fi, err := c.b.Stat(ctx, name)
	return fi, c.m.note(c.driver, "stat", err)
}

func (c *counted) List(ctx context.Context, dir string) ([]backends.FileInfo, error) {
	l, err := c.b.List(ctx, dir)
	return l, c.m.note(c.driver, "list", err)
}

func (c *counted) Open(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	rc, err := c.b.Open(ctx, name, offset, length)
	if err != nil {
		return nil, c.m.note(c.driver, "open", err)
	}
	return &countedReader{ReadCloser: rc, c: c}, nil
}

// countedReader counts a failure while a file is read.
type countedReader struct {
	io.ReadCloser
	c *counted
}

func (r *countedReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = r.c.m.note(r.c.driver, "read", err)
	}
	return n, err
}

func (c *counted) Put(ctx context.Context, name string, r io.Reader, size int64) (backends.FileInfo, error) {
	src := &sourceReader{r: r}
	fi, err := c.b.Put(ctx, name, src, size)
	if err != nil && src.err == nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		err = c.m.note(c.driver, "put", err)
	}
	return fi, err // a body that failed or ended short is the client's doing
}

// sourceReader remembers whether the upload body itself failed.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

func (c *counted) Delete(ctx context.Context, name string) error {
	return c.m.note(c.driver, "delete", c.b.Delete(ctx, name))
}

func (c *counted) Mkdir(ctx context.Context, name string) error {
	return c.m.note(c.driver, "mkdir", c.b.Mkdir(ctx, name))
}

func (c *counted) Move(ctx context.Context, src, dst string) error {
	return c.m.note(c.driver, "move", backends.Move(ctx, c.b, src, dst))
}

func (c *counted) RemoveAll(ctx context.Context, name string) error {
	if ra, ok := c.b.(backends.RemoveAller); ok {
		return c.m.note(c.driver, "remove", ra.RemoveAll(ctx, name))
	}
	return c.m.note(c.driver, "remove", backends.RemoveAll(ctx, c.b, name))
}

func (c *counted) Touch(ctx context.Context, name string, mtime time.Time) error {
	t, ok := c.b.(backends.Toucher)
	if !ok {
		return errors.ErrUnsupported
	}
	return c.m.note(c.driver, "touch", t.Touch(ctx, name, mtime))
}

func (c *counted) CanTouch(name string) bool { return backends.CanTouch(c.b, name) }

func (c *counted) space(ctx context.Context) (int64, int64, error) {
	used, avail, err := c.b.(backends.SpaceReporter).Space(ctx)
	return used, avail, c.m.note(c.driver, "space", err)
}

func (c *counted) presign(ctx context.Context, name string, expiry time.Duration) (*url.URL, error) {
	u, err := c.b.(backends.Presigner).PresignGet(ctx, name, expiry)
	return u, c.m.note(c.driver, "presign", err)
}

// Close closes b when it can be closed.
func (c *counted) Close() error {
	if cl, ok := c.b.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}
