package onedrive

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/backends/backendtest"
	"github.com/docuvault/docuvault/backends/onedrive/graphfake"
)

// fakeSource hands out the fake's current token, counting calls.
type fakeSource struct {
	f     *graphfake.Fake
	calls atomic.Int64
}

func (s *fakeSource) Token() (*oauth2.Token, error) {
	s.calls.Add(1)
	return &oauth2.Token{AccessToken: s.f.Token(), TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}, nil
}

func newBackend(t *testing.T, f *graphfake.Fake, cfg Config) *Backend {
	t.Helper()
	if cfg.BaseURL == "" {
		cfg.BaseURL = f.URL
	}
	if cfg.TokenSource == nil {
		cfg.TokenSource = &fakeSource{f: f}
	}
	if cfg.TempDir == "" {
		cfg.TempDir = t.TempDir()
	}
	b, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return b
}

// Each case gets its own Root folder in one fake drive (with a space and a
// name that needs encoding, so the root's URL needs escaping).
func TestConformance(t *testing.T) {
	f := graphfake.New(t)
	var n atomic.Int64
	backendtest.Run(t, func(t *testing.T) backends.Backend {
		return newBackend(t, f, Config{Root: fmt.Sprintf("/DocuVault/case %03d?", n.Add(1))})
	}, backendtest.Options{})
}

// The drive's root as Root, a fresh drive per case, small fragments.
func TestConformanceDriveRoot(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backends.Backend {
		return newBackend(t, graphfake.New(t), Config{PartSize: 5 * fragmentUnit})
	}, backendtest.Options{LargeSize: 24<<20 + 12345})
}
