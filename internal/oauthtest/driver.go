package oauthtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"

	"golang.org/x/oauth2"

	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/backends/local"
	"github.com/docuvault/docuvault/storage"
)

// Driver opens OAuth storages as a stand-in for a real driver: a local
// folder under dir (one per kind) whose every operation first calls
// APIURL/ping with the spec's token source, as a driver's HTTP client
// does, asking the token source for every request. An operation whose
// token the server refuses fails as unavailable.
func (s *Server) Driver(dir string) func(ctx context.Context, spec storage.Spec) (backends.Backend, error) {
	return func(ctx context.Context, spec storage.Spec) (backends.Backend, error) {
		if spec.TokenSource == nil {
			return nil, fmt.Errorf("%s: no token source", spec.Kind)
		}
		b, err := local.New(filepath.Join(dir, spec.Kind))
		if err != nil {
			return nil, err
		}
		// oauth2.NewClient would cache the token by the wall clock; the
		// tests move their own clock, which the token source follows.
		hc := &http.Client{Transport: &oauth2.Transport{Source: spec.TokenSource}}
		return &pinging{Backend: b, hc: hc, ping: s.APIURL + "/ping"}, nil
	}
}

type pinging struct {
	backends.Backend
	hc   *http.Client
	ping string
}

func (p *pinging) check(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.ping, nil)
	if err != nil {
		return err
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", backends.ErrUnavailable, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: the API answered %s", backends.ErrUnavailable, resp.Status)
	}
	return nil
}

func (p *pinging) Stat(ctx context.Context, name string) (backends.FileInfo, error) {
	if err := p.check(ctx); err != nil {
		return backends.FileInfo{}, err
	}
	return p.Backend.Stat(ctx, name)
}

func (p *pinging) List(ctx context.Context, dir string) ([]backends.FileInfo, error) {
	if err := p.check(ctx); err != nil {
		return nil, err
	}
	return p.Backend.List(ctx, dir)
}

func (p *pinging) Open(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	if err := p.check(ctx); err != nil {
		return nil, err
	}
	return p.Backend.Open(ctx, name, offset, length)
}

func (p *pinging) Put(ctx context.Context, name string, r io.Reader, size int64) (backends.FileInfo, error) {
	if err := p.check(ctx); err != nil {
		return backends.FileInfo{}, err
	}
	return p.Backend.Put(ctx, name, r, size)
}

func (p *pinging) Delete(ctx context.Context, name string) error {
	if err := p.check(ctx); err != nil {
		return err
	}
	return p.Backend.Delete(ctx, name)
}

func (p *pinging) Mkdir(ctx context.Context, name string) error {
	if err := p.check(ctx); err != nil {
		return err
	}
	return p.Backend.Mkdir(ctx, name)
}
