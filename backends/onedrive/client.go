package onedrive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/oauth2"

	"github.com/docuvault/docuvault/backends"
)

const (
	defaultTries = 5
	// maxRetryAfter is the longest Retry-After the driver waits out; a
	// longer one fails at once with ErrUnavailable (davfs answers 503).
	maxRetryAfter = time.Minute
	minBackoff    = 500 * time.Millisecond
	maxBackoff    = 8 * time.Second
)

// userAgent follows Microsoft's advice to decorate traffic, which it
// throttles less.
const userAgent = "ISV|DocuVault|DocuVault"

// call is one request, built anew for each try.
type call struct {
	method string
	url    string
	body   []byte // sent with Content-Length; nil for none
	json   bool   // body is JSON
	header http.Header
	anon   bool  // a preauthenticated upload or download URL: no Authorization
	accept []int // statuses >= 400 handed back as responses
	// sent, when set, counts request bodies the transport has not closed
	// yet: it may read a body after RoundTrip returned, so body must not
	// change until sent.Wait() returns.
	sent *sync.WaitGroup
}

// sentBody reports its Close to a WaitGroup.
type sentBody struct {
	*bytes.Reader
	once sync.Once
	wg   *sync.WaitGroup
}

func (s *sentBody) Close() error {
	s.once.Do(s.wg.Done)
	return nil
}

// apiError is an error answer from Graph, {"error":{"code","message"}}.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string {
	s := strconv.Itoa(e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Unwrap gives the backends error kind of the answer.
func (e *apiError) Unwrap() error {
	switch {
	case e.Status == http.StatusNotFound, e.Status == http.StatusGone, e.Code == "itemNotFound":
		return fs.ErrNotExist
	case e.Status == http.StatusConflict, e.Status == http.StatusPreconditionFailed, e.Code == "nameAlreadyExists":
		return fs.ErrExist
	case e.Status == http.StatusUnauthorized, e.Status == http.StatusForbidden, e.Status == http.StatusLocked:
		return fs.ErrPermission
	case e.Status == http.StatusInsufficientStorage, e.Code == "quotaLimitReached":
		return syscall.ENOSPC // davfs answers 507
	case e.Status == http.StatusNotImplemented:
		return errors.ErrUnsupported
	case retryable(e.Status):
		return backends.ErrUnavailable
	case e.Status == http.StatusBadRequest, e.Status == http.StatusRequestEntityTooLarge:
		return fs.ErrInvalid
	}
	return nil
}

// retryable reports statuses worth another try: throttling (429, and 509
// on personal OneDrive) and server trouble.
func retryable(status int) bool {
	switch status {
	case http.StatusTooManyRequests, 509, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// readAPIError turns an error answer into an *apiError and closes its body.
func readAPIError(resp *http.Response) error {
	defer resp.Body.Close()
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body)
	return &apiError{Status: resp.StatusCode, Code: body.Error.Code, Message: body.Error.Message}
}

// do sends c, trying again after throttling, server errors and network
// failures (waiting out Retry-After or backing off), and once after a 401
// with a fresh token. Answers below 400 and those in c.accept come back as
// responses; the rest as errors of the backends kinds.
func (b *Backend) do(ctx context.Context, c call) (*http.Response, error) {
	refreshed := false
	for try := 1; ; try++ {
		req, err := http.NewRequestWithContext(ctx, c.method, c.url, nil)
		if err != nil {
			return nil, err
		}
		switch {
		case len(c.body) > 0 && c.sent != nil:
			c.sent.Add(1)
			req.Body = &sentBody{Reader: bytes.NewReader(c.body), wg: c.sent}
		case len(c.body) > 0:
			req.Body = io.NopCloser(bytes.NewReader(c.body))
		case c.body != nil:
			req.Body = http.NoBody
		}
		req.ContentLength = int64(len(c.body))
		for k, v := range c.header {
			req.Header[k] = v
		}
		if c.json {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("User-Agent", userAgent)
		var used string
		if !c.anon {
			tok, err := b.ts.Token()
			if err != nil {
				if req.Body != nil {
					req.Body.Close()
				}
				return nil, tokenError(err)
			}
			tok.SetAuthHeader(req)
			used = tok.AccessToken
		}
		resp, err := b.hc.Do(req)
		var last error
		delay := time.Duration(-1)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // the URL may carry a preauthentication token
			}
			last = fmt.Errorf("%w: %v", backends.ErrUnavailable, err)
		case resp.StatusCode == http.StatusUnauthorized && !c.anon:
			err := readAPIError(resp)
			if !refreshed && b.refreshToken(used) {
				refreshed = true
				try--
				continue
			}
			return nil, err
		case retryable(resp.StatusCode):
			delay = retryAfter(resp.Header.Get("Retry-After"))
			last = readAPIError(resp)
		case resp.StatusCode < 400 || slices.Contains(c.accept, resp.StatusCode):
			return resp, nil
		default:
			return nil, readAPIError(resp)
		}
		if try >= b.tries || delay > maxRetryAfter {
			return nil, fmt.Errorf("%w (gave up after %d tries)", last, try)
		}
		if delay < 0 {
			// 0.5s, 1s, 2s… less up to a quarter of jitter.
			d := min(minBackoff<<(try-1), maxBackoff)
			delay = d - time.Duration(rand.Int64N(int64(d/4)))
		}
		if err := b.sleep(ctx, delay); err != nil {
			return nil, err
		}
	}
}

// refreshToken asks the token source for a new token after the API
// refused used: sources with an Invalidate method drop their cached token
// first. It reports whether a different token came back.
func (b *Backend) refreshToken(used string) bool {
	if inv, ok := b.ts.(interface{ Invalidate() }); ok {
		inv.Invalidate()
	}
	tok, err := b.ts.Token()
	return err == nil && tok.AccessToken != used
}

// tokenError classifies a token source failure: a refused refresh means the
// user must connect again (permission), anything else is unavailability.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	switch {
	case errors.Is(err, fs.ErrPermission), errors.Is(err, backends.ErrUnavailable),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("token: %w", err)
	case errors.As(err, &re) && (re.Response == nil || re.Response.StatusCode < 500):
		return fmt.Errorf("token: %w: %v", fs.ErrPermission, err)
	}
	return fmt.Errorf("token: %w: %v", backends.ErrUnavailable, err)
}

// retryAfter reads a Retry-After value (seconds or an HTTP date); -1 when
// there is none.
func retryAfter(v string) time.Duration {
	if v == "" {
		return -1
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return -1
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// drain reads a little of an unwanted body so the connection can be reused.
func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// getJSON sends c and decodes the answer into v.
func (b *Backend) getJSON(ctx context.Context, c call, v any) error {
	resp, err := b.do(ctx, c)
	if err != nil {
		return err
	}
	defer drain(resp)
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(v); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: reading answer: %v", backends.ErrUnavailable, err)
	}
	return nil
}

func jsonBody(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
