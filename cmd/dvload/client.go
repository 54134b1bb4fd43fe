package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// client sends requests to paths below one base URL and nowhere else: no
// proxy, no redirects followed.
type client struct {
	base       *url.URL
	user, pass string
	hc         *http.Client
}

func newClient(base *url.URL, user, pass string, conns int) *client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		MaxIdleConnsPerHost: conns,
		DisableCompression:  true,
		WriteBufferSize:     256 << 10,
		ReadBufferSize:      256 << 10,
	}
	return &client{base: base, user: user, pass: pass, hc: &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends method to rel (relative to the base URL). A body of size -1 is
// sent chunked.
func (c *client) do(ctx context.Context, method, rel string, body io.Reader, size int64, hdr map[string]string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base.JoinPath(rel).String(), body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = size
	}
	req.SetBasicAuth(c.user, c.pass)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return c.hc.Do(req)
}

// check sends a request, discards the response body and fails unless the
// status is one of want.
func (c *client) check(ctx context.Context, method, rel string, body io.Reader, size int64, hdr map[string]string, want ...int) error {
	resp, err := c.do(ctx, method, rel, body, size, hdr)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, rel, err)
	}
	defer resp.Body.Close()
	if err := expect(resp, method, rel, want...); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// expect fails unless resp has one of the wanted statuses, quoting the
// start of the body.
func expect(resp *http.Response, method, rel string, want ...int) error {
	if slices.Contains(want, resp.StatusCode) {
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	return fmt.Errorf("%s %s: %s: %s", method, rel, resp.Status, strings.TrimSpace(string(b)))
}

// parallel runs fn for i in [0, n) on at most workers goroutines. The first
// error cancels the rest and is returned.
func parallel(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}
