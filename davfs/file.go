package davfs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/webdav"

	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/store"
)

// fileInfo adapts backends.FileInfo to os.FileInfo, webdav.ETager and
// webdav.ContentTyper, so PROPFIND never reads content to find either.
type fileInfo struct{ fi backends.FileInfo }

var (
	_ webdav.ETager       = fileInfo{}
	_ webdav.ContentTyper = fileInfo{}
)

func (i fileInfo) Name() string       { return i.fi.Name }
func (i fileInfo) Size() int64        { return i.fi.Size }
func (i fileInfo) ModTime() time.Time { return i.fi.ModTime }
func (i fileInfo) IsDir() bool        { return i.fi.IsDir }
func (i fileInfo) Sys() any           { return nil }
func (i fileInfo) Mode() fs.FileMode {
	if i.fi.IsDir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}

func (i fileInfo) ETag(context.Context) (string, error) { return etag(i.fi), nil }

func (i fileInfo) ContentType(context.Context) (string, error) { return contentType(i.fi.Name), nil }

// etag is the strong validator of an entry, folders included: the backend's
// own, or one derived from modification time and size.
//
// A long backend ETag (Google Drive's id+checksum is 70 characters) is
// shortened to a hash of it: clients echo ETags inside If headers, and some
// (litmus, neon) cut those headers at about 200 bytes.
func etag(fi backends.FileInfo) string {
	if fi.ETag != "" {
		t := strings.Trim(fi.ETag, `"`)
		if len(t) > maxETagLen {
			sum := sha256.Sum256([]byte(t))
			t = hex.EncodeToString(sum[:16])
		}
		return `"` + t + `"`
	}
	kind := "f"
	if fi.IsDir {
		kind = "d"
	}
	return fmt.Sprintf(`"%s%x-%x"`, kind, fi.ModTime.UnixNano(), fi.Size)
}

const maxETagLen = 40

func contentType(name string) string {
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// file is an open name for reading, listing and properties. Content is
// opened from the backend on the first Read, at the current offset.
type file struct {
	fs   *FS
	ctx  context.Context
	name string
	info backends.FileInfo

	offset int64
	rc     io.ReadCloser
}

var _ webdav.DeadPropsHolder = (*file)(nil)

func (f *file) Stat() (os.FileInfo, error) { return fileInfo{f.info}, nil }

func (f *file) Close() error {
	if f.rc != nil {
		err := f.rc.Close()
		f.rc = nil
		return err
	}
	return nil
}

func (f *file) Read(p []byte) (int, error) {
	if f.info.IsDir {
		return 0, osErr("read", f.name, fs.ErrInvalid)
	}
	if f.offset >= f.info.Size {
		return 0, io.EOF
	}
	if f.rc == nil {
		rc, err := f.fs.backend.Open(f.ctx, f.name, f.offset, -1)
		if err != nil {
			return 0, f.fs.fail("read", f.name, err)
		}
		f.rc = rc
	}
	n, err := f.rc.Read(p)
	f.offset += int64(n)
	return n, err
}

func (f *file) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = f.offset + offset
	case io.SeekEnd:
		abs = f.info.Size + offset
	default:
		return 0, fs.ErrInvalid
	}
	if abs < 0 {
		return 0, fs.ErrInvalid
	}
	if abs != f.offset && f.rc != nil {
		f.rc.Close()
		f.rc = nil
	}
	f.offset = abs
	return abs, nil
}

func (f *file) Write([]byte) (int, error) { return 0, osErr("write", f.name, fs.ErrPermission) }

func (f *file) Readdir(count int) ([]os.FileInfo, error) {
	if !f.info.IsDir {
		return nil, osErr("readdir", f.name, fs.ErrInvalid)
	}
	list, err := f.fs.list(f.ctx, f.name)
	if err != nil {
		return nil, f.fs.fail("readdir", f.name, err)
	}
	out := make([]os.FileInfo, len(list))
	for i, fi := range list {
		out[i] = fileInfo{fi}
	}
	return out, nil
}

// Property names davfs computes itself and serves through DeadProps, since
// webdav.Handler has no hook for them.
var (
	propLockDiscovery = xml.Name{Space: "DAV:", Local: "lockdiscovery"}
	propETag          = xml.Name{Space: "DAV:", Local: "getetag"}
	propWin32Modified = xml.Name{Space: "urn:schemas-microsoft-com:", Local: "Win32LastModifiedTime"}
	propQuotaUsed     = xml.Name{Space: "DAV:", Local: "quota-used-bytes"} // RFC 4331
	propQuotaAvail    = xml.Name{Space: "DAV:", Local: "quota-available-bytes"}
)

// DeadProps returns stored properties plus lockdiscovery and, for folders,
// getetag (webdav.Handler only reports ETags of files) and the RFC 4331
// quota properties.
func (f *file) DeadProps() (map[xml.Name]webdav.Property, error) {
	stored, err := f.fs.deadProps(f.ctx, f.name)
	if err != nil {
		return nil, err
	}
	out := make(map[xml.Name]webdav.Property, len(stored)+2)
	for _, p := range stored {
		n := xml.Name{Space: p.Space, Local: p.Local}
		out[n] = webdav.Property{XMLName: n, Lang: p.Lang, InnerXML: []byte(p.XML)}
	}
	if f.info.IsDir {
		out[propETag] = webdav.Property{XMLName: propETag, InnerXML: []byte(xmlEscape(etag(f.info)))}
		used, avail := f.fs.quota(f.ctx)
		out[propQuotaUsed] = webdav.Property{XMLName: propQuotaUsed, InnerXML: []byte(strconv.FormatInt(used, 10))}
		if avail >= 0 {
			out[propQuotaAvail] = webdav.Property{XMLName: propQuotaAvail, InnerXML: []byte(strconv.FormatInt(avail, 10))}
		}
	}
	locks, err := f.fs.activeLocks(f.ctx)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	for _, l := range locks {
		if l.Covers(f.name) {
			b.WriteString(activeLockXML(l, f.fs.prefix))
		}
	}
	out[propLockDiscovery] = webdav.Property{XMLName: propLockDiscovery, InnerXML: []byte(b.String())}
	return out, nil
}

// Patch stores property changes atomically. Setting Windows'
// Win32LastModifiedTime also sets the file's modification time.
func (f *file) Patch(patches []webdav.Proppatch) ([]webdav.Propstat, error) {
	var ops []store.PropOp
	ok := webdav.Propstat{Status: http.StatusOK}
	refused := map[xml.Name]int{} // properties that cannot be applied, with their status
	seen := map[xml.Name]bool{}
	var mtime, winMtime time.Time
	for _, pp := range patches {
		for _, p := range pp.Props {
			name := p.XMLName
			switch {
			case name.Space == mtimeSpace: // DAV:getlastmodified, renamed by checkXMLBody
				name = propLastModified
				t, err := http.ParseTime(strings.TrimSpace(string(p.InnerXML)))
				switch {
				case pp.Remove || err != nil:
					refused[name] = http.StatusConflict
				case !f.fs.canTouch(f.name):
					refused[name] = http.StatusForbidden // this storage keeps its own times
				}
				mtime = t
			default:
				ops = append(ops, store.PropOp{Remove: pp.Remove,
					Prop: store.Prop{Space: name.Space, Local: name.Local, Lang: p.Lang, XML: string(p.InnerXML)}})
				if name == propWin32Modified && !pp.Remove {
					winMtime, _ = http.ParseTime(strings.TrimSpace(string(p.InnerXML)))
				}
			}
			if !seen[name] {
				seen[name] = true
				ok.Props = append(ok.Props, webdav.Property{XMLName: name})
			}
		}
	}
	if len(refused) > 0 {
		// All or nothing (RFC 4918 §9.2): the rest fail by dependency.
		byStatus := map[int]*webdav.Propstat{}
		var out []webdav.Propstat
		for _, p := range ok.Props {
			status, bad := refused[p.XMLName]
			if !bad {
				status = webdav.StatusFailedDependency
			}
			if byStatus[status] == nil {
				out = append(out, webdav.Propstat{Status: status})
				byStatus[status] = &out[len(out)-1]
			}
			ps := byStatus[status]
			ps.Props = append(ps.Props, p)
		}
		return out, nil
	}
	if err := f.fs.store.PatchProps(f.ctx, f.fs.user.ID, f.name, ops); err != nil {
		return nil, err
	}
	f.fs.forget()
	if mtime.IsZero() {
		mtime = winMtime // Windows' own property, kept as a dead one where times are fixed
	}
	if !mtime.IsZero() {
		if err := f.fs.touch(f.ctx, f.name, mtime); err != nil && !errors.Is(err, errors.ErrUnsupported) {
			return nil, err
		}
	}
	return []webdav.Propstat{ok}, nil
}

func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// activeLockXML renders one lock as a DAV:activelock element.
func activeLockXML(l store.Lock, prefix string) string {
	depth, timeout := "infinity", "Infinite"
	if l.ZeroDepth {
		depth = "0"
	}
	if l.Timeout >= 0 {
		left := time.Until(l.Expires).Round(time.Second)
		timeout = fmt.Sprintf("Second-%d", max(int64(left/time.Second), 0))
	}
	scope := "<D:exclusive/>"
	if l.Shared {
		scope = "<D:shared/>"
	}
	owner := ""
	if l.OwnerXML != "" {
		owner = "<D:owner>" + l.OwnerXML + "</D:owner>"
	}
	return `<D:activelock xmlns:D="DAV:"><D:locktype><D:write/></D:locktype><D:lockscope>` + scope + `</D:lockscope>` +
		`<D:depth>` + depth + `</D:depth>` + owner + `<D:timeout>` + timeout + `</D:timeout>` +
		`<D:locktoken><D:href>` + xmlEscape(l.Token) + `</D:href></D:locktoken>` +
		`<D:lockroot><D:href>` + xmlEscape((&url.URL{Path: prefix + l.Root}).EscapedPath()) + `</D:href></D:lockroot></D:activelock>`
}

// writer streams what webdav.Handler writes (LOCK on a new name, COPY)
// into an atomic backend Put running alongside.
type writer struct {
	name string
	pw   *io.PipeWriter
	done chan error
	info backends.FileInfo
}

func (f *FS) newWriter(ctx context.Context, name string) *writer {
	pr, pw := io.Pipe()
	w := &writer{name: name, pw: pw, done: make(chan error, 1), info: backends.FileInfo{Name: path.Base(name), ModTime: time.Now()}}
	go func() {
		fi, err := f.put(ctx, name, pr, -1)
		pr.CloseWithError(errors.Join(err, io.ErrClosedPipe))
		if err == nil {
			w.info = fi
		}
		w.done <- err
	}()
	return w
}

func (w *writer) Write(p []byte) (int, error) { return w.pw.Write(p) }

// ReadFrom streams r into the upload. webdav.Handler's COPY calls io.Copy
// and then Close whatever happened, so a failed read must abort the upload
// here, or Close would store a truncated copy.
func (w *writer) ReadFrom(r io.Reader) (int64, error) {
	n, err := io.Copy(w.pw, r)
	if err != nil {
		w.pw.CloseWithError(err)
	}
	return n, err
}

func (w *writer) Close() error {
	w.pw.Close()
	return <-w.done
}
func (w *writer) Read([]byte) (int, error)           { return 0, fs.ErrInvalid }
func (w *writer) Seek(int64, int) (int64, error)     { return 0, fs.ErrInvalid }
func (w *writer) Readdir(int) ([]os.FileInfo, error) { return nil, fs.ErrInvalid }
func (w *writer) Stat() (os.FileInfo, error)         { return fileInfo{w.info}, nil }
