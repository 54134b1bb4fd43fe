package onedrive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docuvault/docuvault/backends"
)

// cleanupTimeout bounds cancelling an upload session after the caller gave
// up.
const cleanupTimeout = 30 * time.Second

// sentTimeout bounds the wait for the transport to let go of a fragment.
const sentTimeout = 10 * time.Second

// waitTimeout waits for wg, giving up after d.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

func (b *Backend) Put(ctx context.Context, name string, r io.Reader, size int64) (backends.FileInfo, error) {
	if name == "/" {
		return backends.FileInfo{}, b.fail("put", name, errIsDir)
	}
	parent, err := b.uploadParent(ctx, name)
	if err != nil {
		return backends.FileInfo{}, b.fail("put", name, err)
	}
	var it *driveItem
	switch {
	case size >= 0 && size <= simpleMax:
		buf := make([]byte, size)
		if n, err := io.ReadFull(r, buf); err != nil {
			return backends.FileInfo{}, b.fail("put", name, shortBody(err, int64(n), size))
		}
		it, err = b.simpleUpload(ctx, parent, name, buf)
	case size > simpleMax:
		it, err = b.sessionUpload(ctx, parent, name, r, size, nil)
	default:
		it, err = b.putUnknown(ctx, parent, name, r)
	}
	if err != nil {
		return backends.FileInfo{}, b.fail("put", name, err)
	}
	return info(path.Base(name), it), nil
}

func shortBody(err error, got, want int64) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("body ended after %d of %d bytes: %w", got, want, io.ErrUnexpectedEOF)
	}
	return err
}

// uploadParent returns the id of the folder name goes into, refusing a
// folder at name and a missing parent (Graph would create it).
func (b *Backend) uploadParent(ctx context.Context, name string) (string, error) {
	it, err := b.item(ctx, name)
	switch {
	case err == nil && it.isDir():
		return "", errIsDir
	case err == nil && it.ParentReference != nil && it.ParentReference.ID != "":
		return it.ParentReference.ID, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return "", err
	}
	return b.folderID(ctx, path.Dir(name))
}

// putUnknown uploads a stream of unknown length: what fits one fragment
// goes from memory, anything longer is spooled to a file first because an
// upload session needs the total with its first fragment.
func (b *Backend) putUnknown(ctx context.Context, parent, name string, r io.Reader) (*driveItem, error) {
	buf := make([]byte, max(b.part, simpleMax))
	n, err := io.ReadFull(r, buf)
	var one [1]byte
	k := 0
	if err == nil { // full: is there more?
		k, err = io.ReadFull(r, one[:])
	}
	switch {
	case k == 0 && (err == io.EOF || err == io.ErrUnexpectedEOF):
		if n <= simpleMax {
			return b.simpleUpload(ctx, parent, name, buf[:n])
		}
		// Here b.part > simpleMax, so buf is one fragment and the data
		// its first and only one (read onto itself).
		return b.sessionUpload(ctx, parent, name, bytes.NewReader(buf[:n]), int64(n), buf)
	case err != nil:
		return nil, err
	}
	f, err := os.CreateTemp(b.tmp, "docuvault-onedrive-")
	if err != nil {
		return nil, fmt.Errorf("spooling: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := f.Write(buf[:n]); err != nil {
		return nil, fmt.Errorf("spooling: %w", err)
	}
	if _, err := f.Write(one[:]); err != nil {
		return nil, fmt.Errorf("spooling: %w", err)
	}
	rest, err := io.Copy(f, contextReader{ctx, r})
	if err != nil {
		return nil, err
	}
	total := int64(n) + 1 + rest
	return b.sessionUpload(ctx, parent, name, io.NewSectionReader(f, 0, total), total, buf[:b.part])
}

// contextReader stops a copy once ctx is done.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func (b *Backend) simpleUpload(ctx context.Context, parent, name string, data []byte) (*driveItem, error) {
	var it driveItem
	err := b.getJSON(ctx, call{
		method: http.MethodPut,
		url:    b.childURL(parent, path.Base(name), "/content") + "?" + conflictParam + "=replace",
		body:   data,
		header: http.Header{"Content-Type": {"application/octet-stream"}},
	}, &it)
	if err != nil {
		return nil, err
	}
	return &it, nil
}

// sessionUpload sends total bytes from src through an upload session, one
// fragment of len(buf) (b.part when buf is nil) at a time. The session is
// created once the first fragment is read, and cancelled if anything fails
// before the last fragment is accepted.
func (b *Backend) sessionUpload(ctx context.Context, parent, name string, src io.Reader, total int64, buf []byte) (*driveItem, error) {
	if buf == nil {
		buf = make([]byte, min(b.part, total))
	}
	var upload string
	done := false
	defer func() {
		if upload != "" && !done {
			b.cancelSession(ctx, upload)
		}
	}()
	for off := int64(0); off < total; {
		n := min(int64(len(buf)), total-off)
		if got, err := io.ReadFull(src, buf[:n]); err != nil {
			return nil, shortBody(err, off+int64(got), total)
		}
		if upload == "" {
			var err error
			if upload, err = b.createSession(ctx, parent, name); err != nil {
				return nil, err
			}
		}
		var sent sync.WaitGroup
		it, err := b.putFragment(ctx, upload, buf[:n], off, total, &sent)
		if err != nil {
			return nil, err
		}
		if !waitTimeout(&sent, sentTimeout) {
			buf = make([]byte, len(buf)) // the transport still reads the old one
		}
		off += n
		switch {
		case off == total && it == nil:
			return nil, fmt.Errorf("%w: upload session still open after the last byte", backends.ErrUnavailable)
		case off == total:
			done = true
			return it, nil
		case it != nil:
			return nil, fmt.Errorf("upload session completed at %d of %d bytes", off, total)
		}
	}
	return nil, errors.New("empty upload session") // total > 0 always
}

func (b *Backend) createSession(ctx context.Context, parent, name string) (string, error) {
	var s struct {
		UploadURL string `json:"uploadUrl"`
	}
	body := jsonBody(map[string]any{"item": map[string]string{conflictParam: "replace"}})
	err := b.getJSON(ctx, call{method: http.MethodPost, url: b.childURL(parent, path.Base(name), "/createUploadSession"), body: body, json: true}, &s)
	if err != nil {
		return "", err
	}
	if s.UploadURL == "" {
		return "", fmt.Errorf("%w: upload session without uploadUrl", backends.ErrUnavailable)
	}
	return s.UploadURL, nil
}

// putFragment sends data as bytes off… of total. It returns the item once
// the last fragment completes the upload, nil before.
func (b *Backend) putFragment(ctx context.Context, upload string, data []byte, off, total int64, sent *sync.WaitGroup) (*driveItem, error) {
	end := off + int64(len(data)) - 1
	resp, err := b.do(ctx, call{
		method: http.MethodPut,
		url:    upload,
		body:   data,
		anon:   true,
		header: http.Header{"Content-Range": {fmt.Sprintf("bytes %d-%d/%d", off, end, total)}},
		accept: []int{http.StatusRequestedRangeNotSatisfiable},
		sent:   sent,
	})
	if err != nil {
		return nil, err
	}
	defer drain(resp)
	switch resp.StatusCode {
	case http.StatusAccepted:
		return nil, nil
	case http.StatusOK, http.StatusCreated:
		var it driveItem
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&it); err != nil {
			return nil, fmt.Errorf("%w: reading answer: %v", backends.ErrUnavailable, err)
		}
		return &it, nil
	case http.StatusRequestedRangeNotSatisfiable:
		// A retry of a fragment the service got the first time: fine if
		// the session now waits for the byte after it.
		refused := readAPIError(resp)
		if next, err := b.sessionNext(ctx, upload); err == nil && next == end+1 {
			return nil, nil
		}
		return nil, refused
	}
	return nil, fmt.Errorf("%w: upload answered %d", backends.ErrUnavailable, resp.StatusCode)
}

// sessionNext asks an upload session for the first byte it still expects.
func (b *Backend) sessionNext(ctx context.Context, upload string) (int64, error) {
	var s struct {
		Next []string `json:"nextExpectedRanges"`
	}
	if err := b.getJSON(ctx, call{method: http.MethodGet, url: upload, anon: true}, &s); err != nil {
		return 0, err
	}
	if len(s.Next) == 0 {
		return 0, errors.New("no expected ranges")
	}
	start, _, _ := strings.Cut(s.Next[0], "-")
	return strconv.ParseInt(start, 10, 64)
}

// cancelSession deletes an upload session, also after the caller gave up;
// the old content stays either way, as an unfinished session never
// replaces it.
func (b *Backend) cancelSession(ctx context.Context, upload string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if resp, err := b.do(ctx, call{method: http.MethodDelete, url: upload, anon: true}); err == nil {
		drain(resp)
	}
}
