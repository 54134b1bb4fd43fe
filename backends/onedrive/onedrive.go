// Package onedrive stores files on a user's OneDrive through Microsoft
// Graph v1.0.
//
// The driver calls the REST API with net/http and a golang.org/x/oauth2
// TokenSource, as rclone does, rather than through msgraph-sdk-go: measured
// here the SDK adds about 26 MB to the binary, 4 minutes of build and
// 4.3 GiB of compiler memory, for a dozen endpoints.
//
// Names are addressed by path below Config.Root (/me/drive/root:/path:);
// uploads and moves address the parent folder by id, so a missing parent
// is an error rather than created on the way. Files up to 4 MiB go up in
// one PUT …/content, read into memory first; larger ones through an upload
// session, one fragment (Config.PartSize, a multiple of 320 KiB) in memory
// at a time. OneDrive fixes a session's total size with the first fragment
// and takes no "*", so a stream of unknown length longer than the fragment
// buffer is first spooled to a temporary file (Config.TempDir): bounded
// memory, but disk for the whole file. Uploads replace an
// existing file (conflictBehavior replace) only when their last byte
// arrives; a failed, short or cancelled upload cancels its session, so the
// old content stays. Downloads follow Graph's 302 to the preauthenticated
// download URL without the Authorization header, with a Range header;
// PresignGet hands out that URL (Graph sets its lifetime, about an hour).
//
// Throttling (429, 509) and server errors (5xx) are retried a few times,
// waiting out Retry-After (up to a minute) or backing off, then reported as
// backends.ErrUnavailable; a 401 is retried once with a fresh token (token
// sources with an Invalidate method are asked to drop theirs first).
// itemNotFound is fs.ErrNotExist, nameAlreadyExists fs.ErrExist, 401/403
// fs.ErrPermission, quotaLimitReached syscall.ENOSPC.
//
// OneDrive refuses some characters and names (see names.go); they are
// stored as Unicode lookalikes (a name "a?b" is "a？b" on OneDrive, as
// rclone stores it), so every name round-trips. OneDrive compares names
// without regard to case, and so does this driver: "a" and "A" are one
// entry. ETags are Graph's eTag, which changes with content and metadata.
// Modification times are fileSystemInfo.lastModifiedDateTime, which Touch
// sets. Delete of a folder checks that it is empty (Graph's DELETE is
// recursive) and sends the folder's eTag as If-Match, so where the eTag
// changes with the entries, one added after the check is not lost.
package onedrive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/docuvault/docuvault/backends"
)

// DefaultBaseURL is Microsoft Graph v1.0.
const DefaultBaseURL = "https://graph.microsoft.com/v1.0"

const (
	// fragmentUnit divides every upload fragment but the last.
	fragmentUnit = 320 << 10
	// DefaultPartSize is the default upload fragment.
	DefaultPartSize = 32 * fragmentUnit // 10 MiB
	maxPartSize     = 60 << 20
	// simpleMax is the largest file sent by simple upload.
	simpleMax = 4 << 20
)

const conflictParam = "@microsoft.graph.conflictBehavior"

// Config describes a drive.
type Config struct {
	// BaseURL is the Graph API base; empty means DefaultBaseURL.
	BaseURL string
	// TokenSource yields access tokens, refreshing them as needed. It is
	// asked for every request; wrap a refreshing source in
	// oauth2.ReuseTokenSource. An Invalidate() method, when present, is
	// called after Graph refused a token, before asking again.
	TokenSource oauth2.TokenSource
	// Root is the folder in the drive that holds the namespace, "/" by
	// default; New creates it when missing.
	Root string
	// HTTPClient supplies the transport and timeout; nil means
	// http.DefaultTransport. It must not add Authorization itself: the
	// driver adds it only to Graph API requests. Redirects are handled by
	// the driver.
	HTTPClient *http.Client
	// PartSize is the upload fragment, a multiple of 320 KiB up to 60 MiB;
	// 0 means DefaultPartSize.
	PartSize int64
	// TempDir holds spooled uploads of unknown length; "" means
	// os.TempDir().
	TempDir string

	sleep func(context.Context, time.Duration) error // tests wait for nothing
}

// Backend is a OneDrive drive folder.
type Backend struct {
	api   string // API base without a trailing slash
	root  string // Root encoded and escaped: "" or "/a/b"
	ts    oauth2.TokenSource
	hc    *http.Client
	part  int64
	tmp   string
	tries int
	sleep func(context.Context, time.Duration) error
}

var (
	_ backends.Backend       = (*Backend)(nil)
	_ backends.Mover         = (*Backend)(nil)
	_ backends.RemoveAller   = (*Backend)(nil)
	_ backends.Toucher       = (*Backend)(nil)
	_ backends.SpaceReporter = (*Backend)(nil)
	_ backends.Presigner     = (*Backend)(nil)
)

// New checks that the drive answers (backends.ErrUnavailable when it does
// not, fs.ErrPermission when the token is refused), creates cfg.Root when
// missing and returns the backend.
func New(ctx context.Context, cfg Config) (*Backend, error) {
	if cfg.TokenSource == nil {
		return nil, errors.New("onedrive: no TokenSource")
	}
	part := cfg.PartSize
	if part == 0 {
		part = DefaultPartSize
	}
	if part < 0 || part%fragmentUnit != 0 || part > maxPartSize {
		return nil, fmt.Errorf("onedrive: PartSize %d is not a multiple of 320 KiB up to 60 MiB", part)
	}
	api := cfg.BaseURL
	if api == "" {
		api = DefaultBaseURL
	}
	if u, err := url.Parse(api); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("onedrive: BaseURL must be an absolute http or https URL")
	}
	hc := &http.Client{Transport: http.DefaultTransport}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		hc = &c
	}
	// Redirects are followed by hand: a download URL must not get the
	// Authorization header, which net/http forwards to the same host.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	b := &Backend{
		api:   strings.TrimRight(api, "/"),
		ts:    cfg.TokenSource,
		hc:    hc,
		part:  part,
		tmp:   cfg.TempDir,
		tries: defaultTries,
		sleep: sleep,
	}
	if cfg.sleep != nil {
		b.sleep = cfg.sleep
	}
	if _, _, err := b.Space(ctx); err != nil {
		if !errors.Is(err, fs.ErrPermission) && !errors.Is(err, backends.ErrUnavailable) && ctx.Err() == nil {
			err = fmt.Errorf("%w: %w", backends.ErrUnavailable, err)
		}
		return nil, err
	}
	root := path.Clean("/" + cfg.Root)
	if err := b.mkdirAll(ctx, root); err != nil {
		return nil, err
	}
	b.root = encodePath(root)
	return b, nil
}

// mkdirAll creates dir and its parents in the drive (b.root still "").
func (b *Backend) mkdirAll(ctx context.Context, dir string) error {
	if dir == "/" {
		return nil
	}
	it, err := b.item(ctx, dir)
	if err == nil && !it.isDir() {
		return fmt.Errorf("onedrive: root %q is a file: %w", dir, fs.ErrInvalid)
	}
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return b.fail("stat root", dir, err)
	}
	if err := b.mkdirAll(ctx, path.Dir(dir)); err != nil {
		return err
	}
	if err := b.Mkdir(ctx, dir); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// fail wraps err from op on name; nil stays nil.
func (b *Backend) fail(op, name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("onedrive: %s %q: %w", op, name, err)
}

// URLs.

// itemURL addresses name by path, with suffix ("", "/children", …).
func (b *Backend) itemURL(name, suffix string) string {
	p := b.root + encodePath(name)
	switch {
	case p == "":
		return b.api + "/me/drive/root" + suffix
	case suffix == "":
		return b.api + "/me/drive/root:" + p
	}
	return b.api + "/me/drive/root:" + p + ":" + suffix
}

func (b *Backend) idURL(id, suffix string) string {
	return b.api + "/me/drive/items/" + url.PathEscape(id) + suffix
}

// childURL addresses the entry base in the folder with id parentID.
func (b *Backend) childURL(parentID, base, suffix string) string {
	return b.idURL(parentID, ":/"+url.PathEscape(encodeName(base))+":"+suffix)
}

// driveItem is the part of Graph's driveItem the driver reads.
type driveItem struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	Size           int64     `json:"size"`
	ETag           string    `json:"eTag"`
	LastModified   time.Time `json:"lastModifiedDateTime"`
	FileSystemInfo *struct {
		LastModified time.Time `json:"lastModifiedDateTime"`
	} `json:"fileSystemInfo"`
	Folder          *struct{} `json:"folder"`
	Package         *struct{} `json:"package"` // OneNote notebooks, listed as folders
	Root            *struct{} `json:"root"`
	ParentReference *struct {
		ID string `json:"id"`
	} `json:"parentReference"`
}

func (it *driveItem) isDir() bool { return it.Folder != nil || it.Package != nil || it.Root != nil }

// etagCleaner drops quotes and commas (OneDrive's eTags read "{id},3";
// davfs splits If-Match lists at commas).
var etagCleaner = strings.NewReplacer(`"`, "", ",", ".")

// info describes it under name.
func info(name string, it *driveItem) backends.FileInfo {
	fi := backends.FileInfo{Name: name, IsDir: it.isDir(), ETag: etagCleaner.Replace(it.ETag), ModTime: it.LastModified}
	if it.FileSystemInfo != nil && !it.FileSystemInfo.LastModified.IsZero() {
		fi.ModTime = it.FileSystemInfo.LastModified
	}
	if !fi.IsDir {
		fi.Size = it.Size // a folder's size is that of its contents
	}
	return fi
}

func baseName(name string) string {
	if name == "/" || name == "" {
		return "/"
	}
	return path.Base(name)
}

// item fetches the driveItem at name.
func (b *Backend) item(ctx context.Context, name string) (*driveItem, error) {
	var it driveItem
	if err := b.getJSON(ctx, call{method: http.MethodGet, url: b.itemURL(name, "")}, &it); err != nil {
		return nil, err
	}
	return &it, nil
}

func (b *Backend) Stat(ctx context.Context, name string) (backends.FileInfo, error) {
	it, err := b.item(ctx, name)
	if err != nil {
		return backends.FileInfo{}, b.fail("stat", name, err)
	}
	return info(baseName(name), it), nil
}

const listSelect = "id,name,size,eTag,lastModifiedDateTime,fileSystemInfo,folder,package,file"

func (b *Backend) List(ctx context.Context, dir string) ([]backends.FileInfo, error) {
	var out []backends.FileInfo
	next := b.itemURL(dir, "/children") + "?$top=1000&$select=" + listSelect
	var err error
	for next != "" && err == nil {
		var page struct {
			Value []driveItem `json:"value"`
			Next  string      `json:"@odata.nextLink"`
		}
		if err = b.getJSON(ctx, call{method: http.MethodGet, url: next}, &page); err == nil {
			for i := range page.Value {
				out = append(out, info(decodeName(page.Value[i].Name), &page.Value[i]))
			}
			next = page.Next
		}
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrInvalid) {
		return nil, b.fail("list", dir, err)
	}
	if err != nil || len(out) == 0 {
		// Nothing listed: make sure dir is a folder.
		it, serr := b.item(ctx, dir)
		switch {
		case serr != nil:
			return nil, b.fail("list", dir, serr)
		case !it.isDir():
			return nil, b.fail("list", dir, fmt.Errorf("not a folder: %w", fs.ErrInvalid))
		case err != nil:
			return nil, b.fail("list", dir, err)
		}
	}
	return out, nil
}

// errIsDir is the cause for file operations on a folder.
var errIsDir = fmt.Errorf("is a folder: %w", fs.ErrInvalid)

func (b *Backend) Open(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	offset = max(offset, 0)
	if length == 0 {
		it, err := b.item(ctx, name)
		if err == nil && it.isDir() {
			err = errIsDir
		}
		if err != nil {
			return nil, b.fail("open", name, err)
		}
		return io.NopCloser(strings.NewReader("")), nil
	}
	hdr := http.Header{}
	if offset > 0 || length > 0 {
		r := "bytes=" + strconv.FormatInt(offset, 10) + "-"
		if length > 0 {
			r += strconv.FormatInt(offset+length-1, 10)
		}
		hdr.Set("Range", r)
	}
	resp, err := b.fetch(ctx, name, hdr)
	if err != nil {
		return nil, b.fail("open", name, err)
	}
	var body io.Reader = resp.Body
	switch {
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		drain(resp) // at or past the end
		return io.NopCloser(strings.NewReader("")), nil
	case resp.StatusCode != http.StatusPartialContent && offset > 0:
		// The range was ignored: skip to offset.
		if _, err := io.CopyN(io.Discard, resp.Body, offset); err != nil {
			resp.Body.Close()
			if err == io.EOF {
				return io.NopCloser(strings.NewReader("")), nil
			}
			return nil, b.fail("open", name, readError(ctx, err))
		}
	}
	if length > 0 {
		body = io.LimitReader(body, length)
	}
	return &download{r: body, c: resp.Body, ctx: ctx}, nil
}

// fetch GETs name's content: through /content and, from there, the
// download URL it redirects to. A download URL gone meanwhile (the file was
// replaced) is asked for once more.
func (b *Backend) fetch(ctx context.Context, name string, hdr http.Header) (*http.Response, error) {
	for try := 1; ; try++ {
		resp, err := b.content(ctx, name, hdr)
		if err != nil || !isRedirect(resp.StatusCode) {
			return resp, err
		}
		loc, err := resp.Location()
		drain(resp)
		if err != nil {
			return nil, fmt.Errorf("%w: bad redirect: %v", backends.ErrUnavailable, err)
		}
		resp, err = b.do(ctx, call{method: http.MethodGet, url: loc.String(), header: hdr, anon: true,
			accept: []int{http.StatusRequestedRangeNotSatisfiable}})
		if err != nil && try == 1 && errors.Is(err, fs.ErrNotExist) {
			continue
		}
		return resp, err
	}
}

// content requests name's /content: a 302 to the download URL, or the
// bytes. A folder is fs.ErrInvalid, however Graph words that.
func (b *Backend) content(ctx context.Context, name string, hdr http.Header) (*http.Response, error) {
	resp, err := b.do(ctx, call{method: http.MethodGet, url: b.itemURL(name, "/content"), header: hdr,
		accept: []int{http.StatusRequestedRangeNotSatisfiable}})
	if err != nil && ctx.Err() == nil && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid)) {
		if it, serr := b.item(ctx, name); serr == nil && it.isDir() {
			return nil, errIsDir
		}
	}
	return resp, err
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// download is a response body whose failures read as ErrUnavailable.
type download struct {
	r   io.Reader
	c   io.Closer
	ctx context.Context
}

func (d *download) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		err = readError(d.ctx, err)
	}
	return n, err
}

func (d *download) Close() error { return d.c.Close() }

func readError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("onedrive: download: %w: %v", backends.ErrUnavailable, err)
}

// PresignGet returns the preauthenticated download URL Graph hands out.
// Graph sets its lifetime (about an hour), not expiry.
func (b *Backend) PresignGet(ctx context.Context, name string, expiry time.Duration) (*url.URL, error) {
	resp, err := b.content(ctx, name, nil)
	if err != nil {
		return nil, b.fail("presign", name, err)
	}
	defer drain(resp)
	if !isRedirect(resp.StatusCode) {
		return nil, b.fail("presign", name, errors.ErrUnsupported)
	}
	u, err := resp.Location()
	if err != nil {
		return nil, b.fail("presign", name, fmt.Errorf("%w: bad redirect: %v", backends.ErrUnavailable, err))
	}
	return u, nil
}

func (b *Backend) Delete(ctx context.Context, name string) error {
	if name == "/" {
		return b.fail("delete", name, fs.ErrPermission)
	}
	it, err := b.item(ctx, name)
	if err != nil {
		return b.fail("delete", name, err)
	}
	var hdr http.Header
	if it.isDir() {
		// Graph deletes folders with their contents: look first, and let
		// the folder's eTag guard against entries added since.
		var page struct {
			Value []struct{} `json:"value"`
		}
		if err := b.getJSON(ctx, call{method: http.MethodGet, url: b.idURL(it.ID, "/children") + "?$top=1&$select=id"}, &page); err != nil {
			return b.fail("delete", name, err)
		}
		if len(page.Value) > 0 {
			return b.fail("delete", name, fmt.Errorf("folder not empty: %w", fs.ErrExist))
		}
		hdr = http.Header{"If-Match": {it.ETag}}
	}
	return b.fail("delete", name, b.deleteID(ctx, it.ID, hdr))
}

func (b *Backend) deleteID(ctx context.Context, id string, hdr http.Header) error {
	resp, err := b.do(ctx, call{method: http.MethodDelete, url: b.idURL(id, ""), header: hdr})
	if err != nil {
		return err
	}
	drain(resp)
	return nil
}

// folderID returns the id of folder dir; a file there is fs.ErrNotExist
// (a path through a file names nothing).
func (b *Backend) folderID(ctx context.Context, dir string) (string, error) {
	it, err := b.item(ctx, dir)
	if err != nil {
		return "", err
	}
	if !it.isDir() {
		return "", fmt.Errorf("%q is a file: %w", dir, fs.ErrNotExist)
	}
	return it.ID, nil
}

func (b *Backend) Mkdir(ctx context.Context, name string) error {
	if name == "/" {
		return b.fail("mkdir", name, fs.ErrExist)
	}
	parent, err := b.folderID(ctx, path.Dir(name))
	if err != nil {
		return b.fail("mkdir", name, err)
	}
	body := jsonBody(map[string]any{"name": encodeName(path.Base(name)), "folder": struct{}{}, conflictParam: "fail"})
	resp, err := b.do(ctx, call{method: http.MethodPost, url: b.idURL(parent, "/children"), body: body, json: true})
	if err != nil {
		return b.fail("mkdir", name, err)
	}
	drain(resp)
	return nil
}

// Move renames src to dst. A file at dst is deleted first (conflictBehavior
// replace on moves is not honoured by every OneDrive flavour); a folder at
// dst is fs.ErrExist.
func (b *Backend) Move(ctx context.Context, src, dst string) error {
	if src == "/" || dst == "/" {
		return b.fail("move", src, fs.ErrPermission)
	}
	if strings.HasPrefix(dst, src+"/") {
		return b.fail("move", src, fmt.Errorf("into itself: %w", fs.ErrInvalid))
	}
	s, err := b.item(ctx, src)
	if err != nil {
		return b.fail("move", src, err)
	}
	if src == dst {
		return nil
	}
	parent, err := b.folderID(ctx, path.Dir(dst))
	if err != nil {
		return b.fail("move", src, err)
	}
	d, err := b.item(ctx, dst)
	switch {
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return b.fail("move", src, err)
	case err != nil || d.ID == s.ID: // free, or a change of case only
	case d.isDir():
		return b.fail("move", src, fmt.Errorf("%q is a folder: %w", dst, fs.ErrExist))
	case s.isDir():
		return b.fail("move", src, fmt.Errorf("folder over file %q: %w", dst, fs.ErrInvalid))
	default:
		if err := b.deleteID(ctx, d.ID, nil); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return b.fail("move", src, err)
		}
	}
	body := jsonBody(map[string]any{"name": encodeName(path.Base(dst)), "parentReference": map[string]string{"id": parent}})
	resp, err := b.do(ctx, call{method: http.MethodPatch, url: b.idURL(s.ID, ""), body: body, json: true})
	if err != nil {
		return b.fail("move", src, err)
	}
	drain(resp)
	return nil
}

// RemoveAll deletes name with everything below it (into the recycle bin).
func (b *Backend) RemoveAll(ctx context.Context, name string) error {
	if name == "/" {
		return b.fail("remove", name, fs.ErrPermission)
	}
	it, err := b.item(ctx, name)
	if err != nil {
		return b.fail("remove", name, err)
	}
	return b.fail("remove", name, b.deleteID(ctx, it.ID, nil))
}

// Touch sets fileSystemInfo.lastModifiedDateTime (whole seconds).
func (b *Backend) Touch(ctx context.Context, name string, mtime time.Time) error {
	body := jsonBody(map[string]any{"fileSystemInfo": map[string]string{
		"lastModifiedDateTime": mtime.UTC().Truncate(time.Second).Format(time.RFC3339),
	}})
	resp, err := b.do(ctx, call{method: http.MethodPatch, url: b.itemURL(name, ""), body: body, json: true})
	if err != nil {
		return b.fail("touch", name, err)
	}
	drain(resp)
	return nil
}

// Space reports the drive's quota: used and remaining bytes.
func (b *Backend) Space(ctx context.Context) (used, available int64, err error) {
	var drive struct {
		Quota *struct {
			Used      int64  `json:"used"`
			Remaining *int64 `json:"remaining"`
		} `json:"quota"`
	}
	if err := b.getJSON(ctx, call{method: http.MethodGet, url: b.api + "/me/drive"}, &drive); err != nil {
		return 0, -1, b.fail("space", "/", err)
	}
	if drive.Quota == nil || drive.Quota.Remaining == nil {
		return 0, -1, nil
	}
	return drive.Quota.Used, max(*drive.Quota.Remaining, 0), nil
}
