package davfs_test

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/backends/local"
	"github.com/docuvault/docuvault/davfs"
	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

// Markers planted outside user A's namespace. No response to A may
// contain them.
const (
	secretB       = "B-PRIVATE-CONTENT"
	secretOutside = "OUTSIDE-PRIVATE-CONTENT"
)

// Users of every harness: A and B, each with a local backend under
// <root>/data/files/<id>, wired as cmd/docuvault does.
const (
	userA, passA = "alice", "alice-password"
	userB, passB = "bob", "bob-password"
)

// trackHeader names a request so a test can wait until the server has
// finished with it even when the client gave up early.
const trackHeader = "X-Test-Request"

// harness is a davfs.Handler over local backends and a SQLite store,
// served on 127.0.0.1.
type harness struct {
	url     string // http://127.0.0.1:port
	host    string // 127.0.0.1:port
	root    string // temp dir holding data/ and files planted beside it
	dataDir string
	st      *store.Store
	users   map[string]store.User // by userA, userB

	mu       sync.Mutex
	backends map[int64]*countingBackend
	tracked  map[string]*tracked
}

type tracked struct{ started, done chan struct{} }

// countingBackend counts how often file content is opened. With coarse
// set, uploads get modification times truncated to the second, like a file
// system clock that ticks coarsely.
type countingBackend struct {
	*local.Store
	opens  atomic.Int64
	coarse atomic.Bool
	// breakReads > 0 makes reads fail after that many bytes.
	breakReads atomic.Int64
	// down makes the storage unreachable.
	down atomic.Bool
	// space > 0 makes the storage report its own quota: that many bytes free.
	space      atomic.Int64
	spaceCalls atomic.Int64
}

func (c *countingBackend) Space(ctx context.Context) (int64, int64, error) {
	c.spaceCalls.Add(1)
	if n := c.space.Load(); n > 0 {
		return 12345, n, nil
	}
	return 0, -1, nil
}

func (c *countingBackend) Stat(ctx context.Context, name string) (backends.FileInfo, error) {
	if c.down.Load() {
		return backends.FileInfo{}, fmt.Errorf("stat: connection refused: %w", backends.ErrUnavailable)
	}
	return c.Store.Stat(ctx, name)
}

func (c *countingBackend) Mkdir(ctx context.Context, name string) error {
	if c.down.Load() {
		return fmt.Errorf("mkdir: connection refused: %w", backends.ErrUnavailable)
	}
	return c.Store.Mkdir(ctx, name)
}

func (c *countingBackend) List(ctx context.Context, dir string) ([]backends.FileInfo, error) {
	if c.down.Load() {
		return nil, fmt.Errorf("list: connection refused: %w", backends.ErrUnavailable)
	}
	return c.Store.List(ctx, dir)
}

func (c *countingBackend) Put(ctx context.Context, name string, r io.Reader, size int64) (backends.FileInfo, error) {
	fi, err := c.Store.Put(ctx, name, r, size)
	if err != nil || !c.coarse.Load() {
		return fi, err
	}
	if err := c.Store.Touch(ctx, name, fi.ModTime.Truncate(time.Second)); err != nil {
		return fi, err
	}
	return c.Store.Stat(ctx, name)
}

func (c *countingBackend) Open(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	c.opens.Add(1)
	rc, err := c.Store.Open(ctx, name, offset, length)
	if n := c.breakReads.Load(); err == nil && n > 0 {
		rc = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(io.LimitReader(rc, n), iotest.ErrReader(errDiskFailed)), rc}
	}
	return rc, err
}

var errDiskFailed = errors.New("disk failed")

// tWriter sends the server log to the test log.
type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	root := t.TempDir()
	h := &harness{
		root:     root,
		dataDir:  filepath.Join(root, "data"),
		st:       storetest.Open(t, store.SQLite),
		users:    map[string]store.User{},
		backends: map[int64]*countingBackend{},
		tracked:  map[string]*tracked{},
	}
	hasher := auth.NewHasher(auth.Params{Memory: 64, Time: 1, Threads: 1}, 0)
	ctx := context.Background()
	for _, c := range [][2]string{{userA, passA}, {userB, passB}} {
		hash, err := hasher.Hash(ctx, c[1])
		if err != nil {
			t.Fatal(err)
		}
		u, err := h.st.CreateUser(ctx, c[0], hash, false)
		if err != nil {
			t.Fatal(err)
		}
		h.users[c[0]] = u
		if _, err := h.backend(ctx, u); err != nil { // creates the user's directory
			t.Fatal(err)
		}
	}
	handler := &davfs.Handler{
		Prefix: "/dav",
		Store:  h.st,
		Auth: &auth.Basic{Users: h.st, Hasher: hasher,
			// Tests send wrong passwords on purpose; no backoff.
			Limiter: &auth.Limiter{Free: 1 << 20, Base: time.Millisecond, Max: time.Millisecond, Forget: time.Hour}},
		Backend: h.backend,
		Logger:  slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := r.Header.Get(trackHeader); id != "" {
			tr := h.track(id)
			close(tr.started)
			defer close(tr.done)
		}
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.Close()
		for _, b := range h.backends {
			b.Close()
		}
	})
	h.url = srv.URL
	h.host = strings.TrimPrefix(srv.URL, "http://")
	return h
}

func (h *harness) backend(_ context.Context, u store.User) (backends.Backend, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if b, ok := h.backends[u.ID]; ok {
		return b, nil
	}
	s, err := local.New(filepath.Join(h.dataDir, "files", strconv.FormatInt(u.ID, 10)))
	if err != nil {
		return nil, err
	}
	b := &countingBackend{Store: s}
	h.backends[u.ID] = b
	return b, nil
}

// counter returns the backend of a user, to read its Open count.
func (h *harness) counter(user string) *countingBackend {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.backends[h.users[user].ID]
}

func (h *harness) track(id string) *tracked {
	h.mu.Lock()
	defer h.mu.Unlock()
	tr, ok := h.tracked[id]
	if !ok {
		tr = &tracked{started: make(chan struct{}), done: make(chan struct{})}
		h.tracked[id] = tr
	}
	return tr
}

// waitDone waits until the server has finished the request tagged id.
func (h *harness) waitDone(t *testing.T, id string) {
	t.Helper()
	select {
	case <-h.track(id).done:
	case <-time.After(30 * time.Second):
		t.Fatalf("the server never finished request %s", id)
	}
}

// userDir is the host directory of a user's namespace.
func (h *harness) userDir(user string) string {
	return filepath.Join(h.dataDir, "files", strconv.FormatInt(h.users[user].ID, 10))
}

// writeFile plants a file directly on disk.
func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// dest is an absolute Destination URL on this server for a raw path.
func (h *harness) dest(rawPath string) string { return h.url + rawPath }

// reply is a fully read response.
type reply struct {
	code int
	hdr  http.Header
	body string
}

// newRequest builds a request for user (userA, userB, or "" for none) whose
// request target is rawPath verbatim: the client neither cleans nor
// re-escapes it. hdr holds header name, value pairs.
func (h *harness) newRequest(t *testing.T, user, method, rawPath string, body io.Reader, hdr ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, h.url+"/", body)
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Opaque = rawPath
	switch user {
	case userA:
		req.SetBasicAuth(userA, passA)
	case userB:
		req.SetBasicAuth(userB, passB)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return req
}

// send performs req and checks what every response must satisfy: no host
// path of the server, and nothing planted outside A's namespace in
// answers to A.
func (h *harness) send(t *testing.T, req *http.Request) reply {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Opaque, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL.Opaque, err)
	}
	rp := reply{code: resp.StatusCode, hdr: resp.Header, body: string(b)}
	var all strings.Builder
	all.WriteString(rp.body)
	for k, vs := range resp.Header {
		all.WriteString(k + ": " + strings.Join(vs, ",") + "\n")
	}
	if strings.Contains(all.String(), h.root) {
		t.Errorf("%s %s: the response reveals the host path %s:\n%s", req.Method, req.URL.Opaque, h.root, all.String())
	}
	if u, _, _ := req.BasicAuth(); u == userA {
		for _, s := range []string{secretB, secretOutside} {
			if strings.Contains(all.String(), s) {
				t.Errorf("%s %s: user A got content planted outside A's namespace:\n%s", req.Method, req.URL.Opaque, all.String())
			}
		}
	}
	return rp
}

// do sends a request with a string body.
func (h *harness) do(t *testing.T, user, method, rawPath, body string, hdr ...string) reply {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	return h.send(t, h.newRequest(t, user, method, rawPath, r, hdr...))
}

// put stores content and fails the test unless it is created or replaced.
func (h *harness) put(t *testing.T, user, rawPath, content string) reply {
	t.Helper()
	rp := h.do(t, user, http.MethodPut, rawPath, content)
	if rp.code != http.StatusCreated && rp.code != http.StatusNoContent {
		t.Fatalf("PUT %s: %d %s", rawPath, rp.code, rp.body)
	}
	return rp
}

func (h *harness) mkcol(t *testing.T, user, rawPath string) {
	t.Helper()
	if rp := h.do(t, user, "MKCOL", rawPath, ""); rp.code != http.StatusCreated {
		t.Fatalf("MKCOL %s: %d %s", rawPath, rp.code, rp.body)
	}
}

// get returns the status and body of a GET.
func (h *harness) get(t *testing.T, user, rawPath string, hdr ...string) reply {
	t.Helper()
	return h.do(t, user, http.MethodGet, rawPath, "", hdr...)
}

// wantContent checks a GET of rawPath answers 200 with content.
func (h *harness) wantContent(t *testing.T, user, rawPath, content string) {
	t.Helper()
	if rp := h.get(t, user, rawPath); rp.code != http.StatusOK || rp.body != content {
		t.Errorf("GET %s as %s = %d %q, want 200 %q", rawPath, user, rp.code, rp.body, content)
	}
}

// lock takes an exclusive write lock and returns its token.
func (h *harness) lock(t *testing.T, user, rawPath string, hdr ...string) string {
	t.Helper()
	rp := h.do(t, user, "LOCK", rawPath, lockBody("exclusive"), hdr...)
	if rp.code != http.StatusOK && rp.code != http.StatusCreated {
		t.Fatalf("LOCK %s as %s: %d %s", rawPath, user, rp.code, rp.body)
	}
	tok := strings.Trim(rp.hdr.Get("Lock-Token"), "<>")
	if tok == "" {
		t.Fatalf("LOCK %s: no Lock-Token header", rawPath)
	}
	return tok
}

func lockBody(scope string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:` + scope + `/></D:lockscope><D:locktype><D:write/></D:locktype>
<D:owner><D:href>test</D:href></D:owner></D:lockinfo>`
}

// Names of properties the tests read.
var (
	pETag          = xml.Name{Space: "DAV:", Local: "getetag"}
	pContentType   = xml.Name{Space: "DAV:", Local: "getcontenttype"}
	pContentLength = xml.Name{Space: "DAV:", Local: "getcontentlength"}
	pLastModified  = xml.Name{Space: "DAV:", Local: "getlastmodified"}
	pQuotaUsed     = xml.Name{Space: "DAV:", Local: "quota-used-bytes"}
	pQuotaAvail    = xml.Name{Space: "DAV:", Local: "quota-available-bytes"}
	pResourceType  = xml.Name{Space: "DAV:", Local: "resourcetype"}
	pLockDiscovery = xml.Name{Space: "DAV:", Local: "lockdiscovery"}
	pColor         = xml.Name{Space: "urn:test", Local: "color"}
)

// propVal is one property of a multistatus response and its status.
type propVal struct {
	status int
	inner  string
}

// propfindBody asks for the named properties.
func propfindBody(names ...xml.Name) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>`)
	for _, n := range names {
		b.WriteString(`<x:` + n.Local + ` xmlns:x="` + n.Space + `"/>`)
	}
	b.WriteString(`</D:prop></D:propfind>`)
	return b.String()
}

// propfind runs PROPFIND and returns the reply with its properties by
// unescaped href (folders end in "/").
func (h *harness) propfind(t *testing.T, user, rawPath, depth, body string) (reply, map[string]map[xml.Name]propVal) {
	t.Helper()
	rp := h.do(t, user, "PROPFIND", rawPath, body, "Depth", depth, "Content-Type", "application/xml")
	if rp.code != http.StatusMultiStatus {
		return rp, nil
	}
	return rp, parseMultistatus(t, rp.body)
}

// props returns the properties of one resource, failing unless PROPFIND
// with Depth 0 answers 207 for it.
func (h *harness) props(t *testing.T, user, rawPath string, names ...xml.Name) map[xml.Name]propVal {
	t.Helper()
	rp, ms := h.propfind(t, user, rawPath, "0", propfindBody(names...))
	if rp.code != http.StatusMultiStatus || len(ms) != 1 {
		t.Fatalf("PROPFIND %s: %d %s", rawPath, rp.code, rp.body)
	}
	for _, p := range ms {
		return p
	}
	return nil
}

func parseMultistatus(t *testing.T, body string) map[string]map[xml.Name]propVal {
	t.Helper()
	var ms struct {
		Responses []struct {
			Href      string `xml:"DAV: href"`
			Propstats []struct {
				Prop struct {
					Any []struct {
						XMLName xml.Name
						Inner   string `xml:",innerxml"`
					} `xml:",any"`
				} `xml:"DAV: prop"`
				Status string `xml:"DAV: status"`
			} `xml:"DAV: propstat"`
		} `xml:"DAV: response"`
	}
	if err := xml.Unmarshal([]byte(body), &ms); err != nil {
		t.Fatalf("multistatus: %v\n%s", err, body)
	}
	out := map[string]map[xml.Name]propVal{}
	for _, r := range ms.Responses {
		href, err := url.PathUnescape(r.Href)
		if err != nil {
			t.Fatalf("href %q: %v", r.Href, err)
		}
		m := map[xml.Name]propVal{}
		for _, ps := range r.Propstats {
			f := strings.Fields(ps.Status)
			code := 0
			if len(f) >= 2 {
				code, _ = strconv.Atoi(f[1])
			}
			for _, p := range ps.Prop.Any {
				m[p.XMLName] = propVal{status: code, inner: strings.TrimSpace(p.Inner)}
			}
		}
		out[href] = m
	}
	return out
}

// snapshot records every entry below dir (except the skip subtree) with
// its content, to detect any change.
func snapshot(t *testing.T, dir, skip string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == skip {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out[rel] = "link:" + target
		case d.IsDir():
			out[rel] = "dir"
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = "file:" + string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// diffSnapshots reports entries added, removed or changed.
func diffSnapshots(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for k, v := range before {
		if w, ok := after[k]; !ok {
			t.Errorf("%s: %s was removed", what, k)
		} else if w != v {
			t.Errorf("%s: %s changed from %.40q to %.40q", what, k, v, w)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			t.Errorf("%s: %s appeared", what, k)
		}
	}
}

// tempFiles lists in-flight upload files left anywhere below dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), local.TempPrefix) {
			out = append(out, p)
		}
		return nil
	})
	return out
}
