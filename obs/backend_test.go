package obs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/backends/backendtest"
	"github.com/docuvault/docuvault/backends/local"
	"github.com/docuvault/docuvault/backends/mount"
)

// The wrapper changes nothing a driver does: local disk, wrapped, passes
// the conformance suite.
func TestBackendConformance(t *testing.T) {
	m := NewMetrics()
	backendtest.Run(t, func(t *testing.T) backends.Backend {
		s, err := local.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return m.Backend("local", s)
	}, backendtest.Options{LargeSize: 32 << 20})
	if got := value(t, m, "docuvault_backend_errors_total", map[string]string{"driver": "local", "op": "put"}); got != 0 {
		t.Errorf("the suite's deliberately broken uploads counted as %v storage errors", got)
	}
}

// failing is a backend whose every operation fails with err.
type failing struct{ err error }

func (f failing) Stat(context.Context, string) (backends.FileInfo, error) {
	return backends.FileInfo{}, f.err
}
func (f failing) List(context.Context, string) ([]backends.FileInfo, error) { return nil, f.err }
func (f failing) Open(context.Context, string, int64, int64) (io.ReadCloser, error) {
	return nil, f.err
}
func (f failing) Put(_ context.Context, _ string, r io.Reader, _ int64) (backends.FileInfo, error) {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return backends.FileInfo{}, fmt.Errorf("put: %w", err)
	}
	return backends.FileInfo{}, f.err
}
func (f failing) Delete(context.Context, string) error { return f.err }
func (f failing) Mkdir(context.Context, string) error  { return f.err }

// spacePresign adds the two capabilities without fallback.
type spacePresign struct{ failing }

func (s spacePresign) Space(context.Context) (int64, int64, error) { return 0, 0, s.err }
func (s spacePresign) PresignGet(context.Context, string, time.Duration) (*url.URL, error) {
	return nil, s.err
}

type brokenBody struct{}

func (brokenBody) Read([]byte) (int, error) { return 0, errors.New("client went away") }

func TestBackendErrorsCounted(t *testing.T) {
	down := fmt.Errorf("s3: stat: %w", backends.ErrUnavailable)
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		err     error
		counted bool
	}{
		{"unavailable", down, true},
		{"other failure", errors.New("EIO"), true},
		{"missing", fs.ErrNotExist, false},
		{"exists", fs.ErrExist, false},
		{"invalid", fs.ErrInvalid, false},
		{"refused", fs.ErrPermission, false},
		{"unsupported", errors.ErrUnsupported, false},
		{"cancelled", context.Canceled, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMetrics()
			b := m.Backend("s3", failing{tc.err})
			b.Stat(ctx, "/a")
			b.List(ctx, "/")
			b.Open(ctx, "/a", 0, -1)
			b.Put(ctx, "/a", strings.NewReader("x"), 1)
			b.Delete(ctx, "/a")
			b.Mkdir(ctx, "/d")
			var want float64
			if tc.counted {
				want = 1
			}
			for _, op := range []string{"stat", "list", "open", "put", "delete", "mkdir"} {
				if got := value(t, m, "docuvault_backend_errors_total", map[string]string{"driver": "s3", "op": op}); got != want {
					t.Errorf("%s: counted %v, want %v", op, got, want)
				}
			}
		})
	}
	t.Run("a broken upload body is the client's", func(t *testing.T) {
		m := NewMetrics()
		_, err := m.Backend("s3", failing{down}).Put(ctx, "/a", brokenBody{}, 10)
		if err == nil || !strings.Contains(err.Error(), "client went away") {
			t.Fatalf("Put: %v", err)
		}
		if got := value(t, m, "docuvault_backend_errors_total", map[string]string{"driver": "s3", "op": "put"}); got != 0 {
			t.Errorf("counted %v", got)
		}
	})
	t.Run("errors keep their kind", func(t *testing.T) {
		m := NewMetrics()
		_, err := m.Backend("s3", failing{down}).Stat(ctx, "/a")
		if !errors.Is(err, backends.ErrUnavailable) || err.Error() != down.Error() {
			t.Errorf("got %v", err)
		}
	})
	t.Run("nested wrappers count once, for the inner driver", func(t *testing.T) {
		m := NewMetrics()
		home, err := local.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer home.Close()
		ns := m.Backend("local", mount.New(m.Backend("local", home), map[string]backends.Backend{"Work": m.Backend("s3", failing{down})}))
		ns.Stat(ctx, "/Work/a")
		ns.List(ctx, "/Work")
		if got := value(t, m, "docuvault_backend_errors_total", map[string]string{"driver": "s3", "op": "stat"}); got != 1 {
			t.Errorf("s3 stat counted %v times", got)
		}
		if got := value(t, m, "docuvault_backend_errors_total", map[string]string{"driver": "local", "op": "stat"}); got != 0 {
			t.Errorf("the S3 failure also counted %v times for local", got)
		}
		if _, err := ns.Stat(ctx, "/missing"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat of a missing local name: %v", err)
		}
	})
	t.Run("connect", func(t *testing.T) {
		m := NewMetrics()
		open := WrapOpener(m, "webdav", func(context.Context, string) (backends.Backend, error) { return nil, down })
		if _, err := open(ctx, "spec"); !errors.Is(err, backends.ErrUnavailable) {
			t.Fatalf("got %v", err)
		}
		if got := value(t, m, "docuvault_backend_errors_total", map[string]string{"driver": "webdav", "op": "connect"}); got != 1 {
			t.Errorf("counted %v", got)
		}
	})
}

func TestBackendCapabilities(t *testing.T) {
	m := NewMetrics()
	ctx := context.Background()
	plain := m.Backend("x", failing{errors.New("EIO")})
	if _, ok := plain.(backends.SpaceReporter); ok {
		t.Error("a SpaceReporter added to a driver without one")
	}
	if _, ok := plain.(backends.Presigner); ok {
		t.Error("a Presigner added to a driver without one")
	}
	if backends.CanTouch(plain, "/a") {
		t.Error("CanTouch true for a driver that cannot")
	}
	if err := plain.(backends.Toucher).Touch(ctx, "/a", time.Now()); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Touch: %v", err)
	}
	both := m.Backend("x", spacePresign{failing{errors.New("EIO")}})
	sr, ok1 := both.(backends.SpaceReporter)
	ps, ok2 := both.(backends.Presigner)
	if !ok1 || !ok2 {
		t.Fatal("capabilities lost")
	}
	sr.Space(ctx)
	ps.PresignGet(ctx, "/a", time.Minute)
	for _, op := range []string{"space", "presign"} {
		if got := value(t, m, "docuvault_backend_errors_total", map[string]string{"driver": "x", "op": op}); got != 1 {
			t.Errorf("%s counted %v", op, got)
		}
	}
}
