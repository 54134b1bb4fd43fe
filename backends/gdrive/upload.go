package gdrive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docuvault/docuvault/backends"
)

func (s *Store) Put(ctx context.Context, name string, r io.Reader, size int64) (backends.FileInfo, error) {
	f, err := s.put(ctx, name, r, size)
	if err != nil {
		return backends.FileInfo{}, fmt.Errorf("gdrive: put %q: %w", name, err)
	}
	return f.info(name), nil
}

func (s *Store) put(ctx context.Context, name string, r io.Reader, size int64) (*file, error) {
	if name == "/" {
		return nil, fmt.Errorf("the root is a folder: %w", fs.ErrInvalid)
	}
	base := path.Base(name)
	pid, err := s.dirID(ctx, path.Dir(name))
	if err != nil {
		return nil, err
	}
	unlock, err := s.lockName(ctx, pid, base)
	if err != nil {
		return nil, err
	}
	defer unlock()
	old, err := s.child(ctx, pid, base)
	if err != nil {
		return nil, err
	}
	if old != nil && old.isDir() {
		return nil, fmt.Errorf("a folder: %w", fs.ErrInvalid)
	}
	uri, err := s.startUpload(ctx, pid, base, old, size)
	if errors.Is(err, fs.ErrNotExist) {
		s.forget(path.Dir(name)) // removed by another client
	}
	if err != nil {
		return nil, err
	}
	f, err := s.sendChunks(ctx, uri, r, size)
	if err != nil {
		s.cancelUpload(ctx, uri)
		return nil, err
	}
	return f, nil
}

// startUpload opens a resumable session for a new file base in folder pid,
// or for new content of old, and returns the session URI.
func (s *Store) startUpload(ctx context.Context, pid, base string, old *file, size int64) (string, error) {
	method, u, meta := http.MethodPost, s.upload+"/files", map[string]any{"name": base, "parents": []string{pid}}
	if old != nil {
		method, u, meta = http.MethodPatch, s.upload+"/files/"+url.PathEscape(old.ID), map[string]any{}
	}
	u += "?uploadType=resumable&fields=" + url.QueryEscape(fileFields)
	data, err := json.Marshal(meta)
	if err != nil {
		return "", err
	}
	resp, err := s.call(ctx, func() (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json; charset=UTF-8")
		req.Header.Set("X-Upload-Content-Type", "application/octet-stream")
		if size >= 0 {
			req.Header.Set("X-Upload-Content-Length", strconv.FormatInt(size, 10))
		}
		return req, nil
	})
	if err != nil {
		return "", err
	}
	decode(ctx, resp, nil)
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", fmt.Errorf("%w: no session URI in the answer", backends.ErrUnavailable)
	}
	return loc, nil
}

// cancelUpload ends a session so nothing of it stays; best effort, also
// when ctx is already cancelled.
func (s *Store) cancelUpload(ctx context.Context, uri string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, uri, nil)
	if err != nil {
		return
	}
	if resp, err := s.client.Do(req); err == nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}
}

// sendChunks streams r into session uri, one chunk buffered at a time, and
// returns the file once Drive has all of it.
func (s *Store) sendChunks(ctx context.Context, uri string, r io.Reader, size int64) (*file, error) {
	var buf []byte
	for off := int64(0); ; {
		var (
			n     int
			final bool
			err   error
		)
		if size >= 0 {
			want := min(s.chunk, size-off)
			if int64(len(buf)) < want {
				buf = make([]byte, want)
			}
			n, err = io.ReadFull(r, buf[:want])
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("body ended after %d of %d bytes: %w", off+int64(n), size, io.ErrUnexpectedEOF)
			}
			final = off+want == size
		} else {
			if buf == nil {
				buf = make([]byte, min(s.chunk, ChunkUnit))
			}
			buf, n, err = fill(r, buf, int(s.chunk))
			final = err == io.EOF
			if final {
				err = nil
			}
		}
		if err != nil {
			return nil, fmt.Errorf("reading the body: %w", err)
		}
		total := size
		if final {
			total = off + int64(n)
		}
		f, busy, err := s.sendChunk(ctx, uri, buf[:n], off, total, final)
		if err != nil || final {
			return f, err
		}
		if busy {
			buf = nil // the transport may still read it
		}
		off += int64(n)
	}
}

// fill reads r until buf holds limit bytes or r ends (io.EOF), growing buf
// up to limit on the way, so small bodies of unknown size stay small.
func fill(r io.Reader, buf []byte, limit int) ([]byte, int, error) {
	n := 0
	for {
		if n == len(buf) {
			if n >= limit {
				return buf, n, nil
			}
			nb := make([]byte, min(2*len(buf), limit))
			copy(nb, buf[:n])
			buf = nb
		}
		k, err := r.Read(buf[n:])
		n += k
		if err != nil {
			return buf, n, err
		}
	}
}

// sendChunk delivers data, the bytes of the upload from off, of total
// bytes (-1: not yet known), and returns the file when the chunk is the
// final one. After a failure it asks the session how much arrived and sends
// the rest. busy reports that the transport may still read data.
func (s *Store) sendChunk(ctx context.Context, uri string, data []byte, off, total int64, final bool) (_ *file, busy bool, _ error) {
	var bodies sentBodies
	defer func() { busy = !bodies.closed(ctx, 5*time.Second) }()
	f, err := s.sendChunkBodies(ctx, uri, data, off, total, final, &bodies)
	return f, false, err
}

func (s *Store) sendChunkBodies(ctx context.Context, uri string, data []byte, off, total int64, final bool, bodies *sentBodies) (*file, error) {
	tot := "*"
	if total >= 0 {
		tot = strconv.FormatInt(total, 10)
	}
	end := off + int64(len(data))
	sent, query, reauth := 0, false, false
	for attempt := 0; ; {
		rest := data[sent:]
		if query {
			rest = nil
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, uri, http.NoBody)
		if err != nil {
			return nil, err
		}
		if len(rest) == 0 {
			req.Header.Set("Content-Range", "bytes */"+tot)
		} else {
			req.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%s", off+int64(sent), end-1, tot))
			req.ContentLength = int64(len(rest))
			req.Body = bodies.body(rest)
			req.GetBody = func() (io.ReadCloser, error) { return bodies.body(rest), nil }
		}
		resp, err := s.client.Do(req)
		var failed error
		switch {
		case err != nil:
			if failed = transportErr(ctx, err); !retryableTransport(failed) {
				return nil, failed
			}
		case resp.StatusCode == http.StatusPermanentRedirect: // 308 Resume Incomplete
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			have, err := received(resp.Header.Get("Range"))
			switch {
			case err != nil:
				return nil, err
			case have < off || have > end:
				return nil, fmt.Errorf("%w: the upload session holds %d bytes, expected %d to %d", backends.ErrUnavailable, have, off, end)
			case have == end && !final:
				return nil, nil // chunk delivered, more to come
			case have == end:
				return nil, fmt.Errorf("%w: the upload session did not complete with all %d bytes", backends.ErrUnavailable, total)
			}
			if int(have-off) <= sent && !query {
				attempt++ // no progress
				if attempt > s.retries {
					return nil, fmt.Errorf("%w: the upload session keeps refusing bytes from %d", backends.ErrUnavailable, have)
				}
			}
			sent, query = int(have-off), false
			continue
		case resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusCreated:
			var f file
			if err := decode(ctx, resp, &f); err != nil {
				return nil, err
			}
			if !final {
				return nil, fmt.Errorf("%w: the upload completed early at %d bytes", backends.ErrUnavailable, end)
			}
			return &f, nil
		default:
			ae := readError(resp)
			switch {
			case ae.Status == http.StatusNotFound:
				return nil, fmt.Errorf("%w: the upload session expired (%v)", backends.ErrUnavailable, ae)
			case ae.Status == http.StatusUnauthorized && !reauth:
				reauth, query = true, true // once, with the token source's next token
				continue
			case !ae.retryable():
				return nil, ae
			}
			failed = ae
		}
		// A failed exchange: pause, then ask what arrived.
		if attempt++; attempt > s.retries {
			return nil, failed
		}
		if err := s.sleep(ctx, s.backoff(attempt-1, 0)); err != nil {
			return nil, err
		}
		query = true
	}
}

// received parses a 308's Range header ("bytes=0-N"; none: 0 bytes).
func received(h string) (int64, error) {
	if h == "" {
		return 0, nil
	}
	spec, ok := strings.CutPrefix(h, "bytes=0-")
	if n, err := strconv.ParseInt(spec, 10, 64); ok && err == nil && n >= 0 {
		return n + 1, nil
	}
	return 0, fmt.Errorf("%w: unexpected Range %q from the upload session", backends.ErrUnavailable, h)
}

// sentBodies tracks the request bodies made from one chunk buffer. The
// transport may go on reading a body after Do returns (an error answer
// that came before the whole body was sent), so the buffer is refilled only
// once every body is closed.
type sentBodies struct{ wg sync.WaitGroup }

func (t *sentBodies) body(b []byte) io.ReadCloser {
	t.wg.Add(1)
	return &sentBody{Reader: bytes.NewReader(b), done: t.wg.Done}
}

// closed waits up to d for every body to be closed.
func (t *sentBodies) closed(ctx context.Context, d time.Duration) bool {
	ch := make(chan struct{})
	go func() { t.wg.Wait(); close(ch) }()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ch:
		return true
	case <-ctx.Done():
	case <-timer.C:
	}
	return false
}

type sentBody struct {
	*bytes.Reader
	once sync.Once
	done func()
}

func (b *sentBody) Close() error {
	b.once.Do(b.done)
	return nil
}
