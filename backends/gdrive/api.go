package gdrive

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
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/oauth2"

	"github.com/docuvault/docuvault/backends"
)

// file is the part of Drive's File resource the driver reads.
type file struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	MimeType     string    `json:"mimeType"`
	Size         int64     `json:"size,string"`
	MD5          string    `json:"md5Checksum"`
	Version      int64     `json:"version,string"`
	CreatedTime  time.Time `json:"createdTime"`
	ModifiedTime time.Time `json:"modifiedTime"`
	Parents      []string  `json:"parents"`
}

// fileFields selects the fields of file in partial responses.
const fileFields = "id,name,mimeType,size,md5Checksum,version,createdTime,modifiedTime,parents"

func (f *file) isDir() bool { return f.MimeType == folderType }

// hidden reports a native Google Workspace file: no binary content.
func (f *file) hidden() bool {
	return strings.HasPrefix(f.MimeType, "application/vnd.google-apps.") && !f.isDir()
}

// info converts f; name "/" marks the root.
func (f *file) info(name string) backends.FileInfo {
	fi := backends.FileInfo{Name: f.Name, ModTime: f.ModifiedTime, IsDir: f.isDir()}
	if name == "/" {
		fi.Name = "/"
	}
	if !fi.IsDir {
		fi.Size = f.Size
		fi.ETag = f.ID + "-" + f.MD5
		if f.MD5 == "" {
			fi.ETag = f.ID + "-v" + strconv.FormatInt(f.Version, 10)
		}
	}
	return fi
}

// apiError is an error answer of the API.
type apiError struct {
	Status  int
	Reason  string
	Message string
}

func (e *apiError) Error() string {
	msg := fmt.Sprintf("drive answered %d", e.Status)
	if e.Reason != "" {
		msg += " " + e.Reason
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Unwrap returns the error kind of the answer.
func (e *apiError) Unwrap() error {
	switch {
	case e.rateLimited(), e.Status >= 500, e.Status == http.StatusRequestTimeout:
		return backends.ErrUnavailable
	case e.Status == http.StatusNotFound:
		return fs.ErrNotExist
	case e.Reason == "storageQuotaExceeded":
		return syscall.ENOSPC
	case e.Status == http.StatusUnauthorized, e.Status == http.StatusForbidden:
		return fs.ErrPermission
	case e.Status == http.StatusBadRequest:
		return fs.ErrInvalid
	}
	return nil
}

func (e *apiError) rateLimited() bool {
	return e.Status == http.StatusTooManyRequests ||
		e.Status == http.StatusForbidden && (e.Reason == "rateLimitExceeded" || e.Reason == "userRateLimitExceeded")
}

// retryable reports answers worth another try after a pause.
func (e *apiError) retryable() bool {
	return e.rateLimited() || e.Status >= 500 || e.Status == http.StatusRequestTimeout
}

// readError turns an error answer into an *apiError and closes its body.
func readError(resp *http.Response) *apiError {
	defer resp.Body.Close()
	var body struct {
		Error struct {
			Errors []struct {
				Reason  string `json:"reason"`
				Message string `json:"message"`
			} `json:"errors"`
			Message string `json:"message"`
		} `json:"error"`
	}
	e := &apiError{Status: resp.StatusCode}
	if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body) == nil {
		e.Message = body.Error.Message
		if len(body.Error.Errors) > 0 {
			e.Reason = body.Error.Errors[0].Reason
			if e.Message == "" {
				e.Message = body.Error.Errors[0].Message
			}
		}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return e
}

// transportErr classifies a failure to exchange a request: the context's
// own error, a token source refusing (fs.ErrPermission: the user must
// reconnect), or the network (backends.ErrUnavailable). The request URL,
// which may hold a session id, is dropped.
func transportErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return fmt.Errorf("%w: token refresh failed: %s", fs.ErrPermission, re.ErrorCode)
	}
	return fmt.Errorf("%w: %v", backends.ErrUnavailable, err)
}

// retryableTransport reports transport failures worth another try.
func retryableTransport(err error) bool {
	return errors.Is(err, backends.ErrUnavailable)
}

// call sends the request mk builds (afresh for every attempt) and returns
// the first answer below 400; the caller closes its body. Rate limits, 5xx
// answers and network failures are retried after a pause, up to s.retries
// times; a 401 once, at once, since the token source may have a new token.
// Error answers come back as *apiError.
func (s *Store) call(ctx context.Context, mk func() (*http.Request, error)) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		req, err := mk()
		if err != nil {
			return nil, err
		}
		resp, err := s.client.Do(req)
		var wait time.Duration
		switch {
		case err != nil:
			err = transportErr(ctx, err)
			if !retryableTransport(err) {
				return nil, err
			}
		case resp.StatusCode < 400:
			return resp, nil
		default:
			ae := readError(resp)
			if ae.Status == http.StatusUnauthorized && attempt == 0 {
				continue
			}
			if !ae.retryable() {
				return nil, ae
			}
			wait, err = retryAfter(resp), ae
		}
		if attempt >= s.retries {
			return nil, err
		}
		if err := s.sleep(ctx, s.backoff(attempt, wait)); err != nil {
			return nil, err
		}
	}
}

// backoff is the pause before retry attempt+1: exponential from 250 ms to
// 16 s with jitter, or longer when the service asked for it.
func (s *Store) backoff(attempt int, asked time.Duration) time.Duration {
	d := min(250*time.Millisecond<<min(attempt, 6), 16*time.Second)
	d += rand.N(d / 2)
	return max(d, min(asked, time.Minute))
}

func retryAfter(resp *http.Response) time.Duration {
	if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	return 0
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// jsonCall sends in (nil: no body) as JSON and decodes the answer into out
// (nil: discarded).
func (s *Store) jsonCall(ctx context.Context, method, u string, in, out any) error {
	var data []byte
	if in != nil {
		var err error
		if data, err = json.Marshal(in); err != nil {
			return err
		}
	}
	resp, err := s.call(ctx, func() (*http.Request, error) {
		var body io.Reader
		if data != nil {
			body = bytes.NewReader(data)
		}
		req, err := http.NewRequestWithContext(ctx, method, u, body)
		if err == nil && data != nil {
			req.Header.Set("Content-Type", "application/json; charset=UTF-8")
		}
		return req, err
	})
	if err != nil {
		return err
	}
	return decode(ctx, resp, out)
}

// decode reads a JSON answer into out (nil: discarded) and closes it.
func decode(ctx context.Context, resp *http.Response, out any) error {
	defer resp.Body.Close()
	if out == nil {
		_, err := io.Copy(io.Discard, resp.Body)
		if err != nil {
			return transportErr(ctx, err)
		}
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		if errors.As(err, &se) || errors.As(err, &te) {
			return fmt.Errorf("drive answered malformed JSON: %v", err)
		}
		return transportErr(ctx, err)
	}
	return nil
}

// query calls fn with every file q finds, page by page, until fn returns
// false. pageSize 0 asks for Drive's maximum.
func (s *Store) query(ctx context.Context, q string, pageSize int, fn func(*file) bool) error {
	if pageSize <= 0 {
		pageSize = 1000
	}
	v := url.Values{
		"q":        {q},
		"fields":   {"nextPageToken,files(" + fileFields + ")"},
		"pageSize": {strconv.Itoa(pageSize)},
		"spaces":   {"drive"},
	}
	for {
		var page struct {
			NextPageToken string  `json:"nextPageToken"`
			Files         []*file `json:"files"`
		}
		if err := s.jsonCall(ctx, http.MethodGet, s.api+"/files?"+v.Encode(), nil, &page); err != nil {
			return err
		}
		for _, f := range page.Files {
			if !fn(f) {
				return nil
			}
		}
		if page.NextPageToken == "" {
			return nil
		}
		v.Set("pageToken", page.NextPageToken)
	}
}

// escape quotes s for a string literal in a query.
func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s)
}
