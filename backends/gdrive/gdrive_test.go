package gdrive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/backends/backendtest"
	"github.com/docuvault/docuvault/backends/gdrive/drivefake"
)

// sleeps records the pauses a Store would have made.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.d)
}

// newStore returns a Store on fake that sleeps not at all between retries.
func newStore(t *testing.T, fake *drivefake.Fake, cfg Config) (*Store, *sleeps) {
	t.Helper()
	if cfg.BaseURL == "" {
		cfg.BaseURL = fake.URL
	}
	if cfg.TokenSource == nil {
		cfg.TokenSource = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: fake.Token()})
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sl := &sleeps{}
	s.sleep = sl.sleep
	return s, sl
}

func TestConformance(t *testing.T) {
	fake := drivefake.New(t)
	fake.PageSize(37) // several pages for ListMany
	var n atomic.Int64
	backendtest.Run(t, func(t *testing.T) backends.Backend {
		id := fake.AddFolder("root", fmt.Sprintf("case %d", n.Add(1)))
		s, _ := newStore(t, fake, Config{RootID: id})
		return s
	}, backendtest.Options{})
}

// My Drive itself as the root: "root" is an alias Drive never reports as
// a parent.
func TestMyDriveRoot(t *testing.T) {
	fake := drivefake.New(t)
	s, _ := newStore(t, fake, Config{})
	ctx := t.Context()
	if fi := stat(t, s, "/"); !fi.IsDir || fi.Name != "/" {
		t.Fatalf(`Stat("/") = %+v`, fi)
	}
	mustPut(t, s, "/a", []byte("a"))
	if err := s.Mkdir(ctx, "/d"); err != nil {
		t.Fatal(err)
	}
	if err := s.Move(ctx, "/a", "/d/a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Move(ctx, "/d/a", "/b"); err != nil {
		t.Fatal(err)
	}
	wantContent(t, s, "/b", []byte("a"))
	wantNames(t, s, "/", "b", "d")
	if got := fake.Children(fake.RootID, "b"); len(got) != 1 {
		t.Errorf("My Drive holds %d entries named b", len(got))
	}
}

func TestConfig(t *testing.T) {
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "x"})
	for _, cfg := range []Config{
		{},
		{TokenSource: ts, ChunkSize: 100},
		{TokenSource: ts, ChunkSize: ChunkUnit + 1},
		{TokenSource: ts, ChunkSize: -ChunkUnit},
		{TokenSource: ts, BaseURL: "ftp://example.com"},
		{TokenSource: ts, BaseURL: "not a url"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
	s, err := New(Config{TokenSource: ts})
	if err != nil {
		t.Fatal(err)
	}
	if s.chunk != DefaultChunkSize || s.root != "root" || s.api != DefaultBaseURL+"/drive/v3" || !s.trash {
		t.Errorf("defaults: chunk %d, root %q, api %q, trash %v", s.chunk, s.root, s.api, s.trash)
	}
}

// Chunks are multiples of 256 KiB but the last (the fake refuses others),
// for known and unknown sizes around the chunk boundaries.
func TestChunks(t *testing.T) {
	fake := drivefake.New(t)
	const chunk = 2 * ChunkUnit
	s, _ := newStore(t, fake, Config{ChunkSize: chunk})
	for _, n := range []int{0, 1, ChunkUnit - 1, ChunkUnit, chunk - 1, chunk, chunk + 1, 3 * chunk, 3*chunk + 12345} {
		for _, size := range []int64{int64(n), -1} {
			t.Run(fmt.Sprintf("%d/size %d", n, size), func(t *testing.T) {
				data := randBytes(uint64(n), n)
				name := fmt.Sprintf("/f%d_%d", n, size)
				before := fake.Count("upload.chunk") + fake.Count("upload.status")
				fi, err := s.Put(t.Context(), name, &chunkyReader{r: bytes.NewReader(data)}, size)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Size != int64(n) {
					t.Errorf("Put returned size %d", fi.Size)
				}
				wantContent(t, s, name, data)
				// Requests: one per chunk; an unknown size that ends on a
				// chunk boundary takes one more, empty, to say so.
				want := max((n+chunk-1)/chunk, 1)
				if size < 0 && n%chunk == 0 && n > 0 {
					want++
				}
				if got := fake.Count("upload.chunk") + fake.Count("upload.status") - before; got != want {
					t.Errorf("%d session requests, want %d", got, want)
				}
			})
		}
	}
	if n := fake.Sessions(); n != 0 {
		t.Errorf("%d sessions left open", n)
	}
}

// chunkyReader returns odd-sized reads.
type chunkyReader struct{ r io.Reader }

func (c *chunkyReader) Read(p []byte) (int, error) {
	return c.r.Read(p[:min(len(p), 77777)])
}

// Putting over a file replaces its content in place: same id, so links
// and sharing survive.
func TestPutUpdatesInPlace(t *testing.T) {
	fake := drivefake.New(t)
	s, _ := newStore(t, fake, Config{})
	mustPut(t, s, "/f", []byte("one"))
	before := fake.Children("root", "f")
	mustPut(t, s, "/f", []byte("two, longer"))
	after := fake.Children("root", "f")
	if len(before) != 1 || len(after) != 1 || before[0].ID != after[0].ID {
		t.Fatalf("before %+v, after %+v: want one file with the same id", before, after)
	}
	if got, _ := fake.Content(after[0].ID); string(got) != "two, longer" {
		t.Errorf("content %q", got)
	}
}

// A failed update leaves the old content, and the session is cancelled.
func TestFailedUpdateCancels(t *testing.T) {
	fake := drivefake.New(t)
	s, _ := newStore(t, fake, Config{ChunkSize: ChunkUnit})
	old := randBytes(1, 3*ChunkUnit)
	mustPut(t, s, "/f", old)
	r := io.MultiReader(bytes.NewReader(randBytes(2, 2*ChunkUnit+10)), errReader{})
	if _, err := s.Put(t.Context(), "/f", r, 4*ChunkUnit); err == nil {
		t.Fatal("Put with a failing reader succeeded")
	}
	if n := fake.Count("upload.cancel"); n != 1 {
		t.Errorf("%d cancellations, want 1", n)
	}
	if n := fake.Sessions(); n != 0 {
		t.Errorf("%d sessions left open", n)
	}
	wantContent(t, s, "/f", old)
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("broken on purpose") }

// Several writers of one new name in one process make one file, not twins.
func TestConcurrentCreateNoTwins(t *testing.T) {
	fake := drivefake.New(t)
	s, _ := newStore(t, fake, Config{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if _, err := s.Put(t.Context(), "/f", bytes.NewReader(randBytes(uint64(i), 1000+i)), -1); err != nil {
				t.Error(err)
			}
		})
	}
	for range 4 {
		wg.Go(func() {
			if err := s.Mkdir(t.Context(), "/d"); err != nil && !errors.Is(err, fs.ErrExist) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(fake.Children("root", "f")); n != 1 {
		t.Errorf("%d files named f", n)
	}
	if n := len(fake.Children("root", "d")); n != 1 {
		t.Errorf("%d folders named d", n)
	}
}

// Same-name siblings made by other clients: the oldest wins everywhere,
// List shows the name once, and the others stay untouched.
func TestSameNameSiblings(t *testing.T) {
	fake := drivefake.New(t)
	s, _ := newStore(t, fake, Config{})
	ctx := t.Context()
	first := fake.AddFile("root", "dup", "text/plain", []byte("first"))
	time.Sleep(2 * time.Millisecond) // Drive's createdTime has milliseconds
	second := fake.AddFile("root", "dup", "text/plain", []byte("second!"))
	time.Sleep(2 * time.Millisecond)
	fake.AddFolder("root", "dup")
	d1 := fake.AddFolder("root", "dir")
	time.Sleep(2 * time.Millisecond)
	d2 := fake.AddFolder("root", "dir")
	fake.AddFile(d1, "in-first", "text/plain", []byte("1"))
	fake.AddFile(d2, "in-second", "text/plain", []byte("2"))

	for range 3 { // the same answer every time
		wantContent(t, s, "/dup", []byte("first"))
		wantNames(t, s, "/", "dup", "dir")
		if m := listMap(t, s, "/"); m["dup"].Size != 5 || m["dup"].IsDir || !m["dir"].IsDir {
			t.Errorf("List = %+v", m)
		}
		wantNames(t, s, "/dir", "in-first")
	}
	// Writes go to the winner.
	mustPut(t, s, "/dup", []byte("updated"))
	if got, _ := fake.Content(first); string(got) != "updated" {
		t.Errorf("the oldest twin holds %q", got)
	}
	if got, _ := fake.Content(second); string(got) != "second!" {
		t.Errorf("the newer twin holds %q", got)
	}
	mustPut(t, s, "/dir/new", []byte("n"))
	if len(fake.Children(d1, "new")) != 1 || len(fake.Children(d2, "new")) != 0 {
		t.Error("Put went into the newer of two folder twins")
	}
	// Removing the winner uncovers the next oldest.
	if err := s.Delete(ctx, "/dup"); err != nil {
		t.Fatal(err)
	}
	wantContent(t, s, "/dup", []byte("second!"))

	a := &file{ID: "b", CreatedTime: time.Unix(100, 0)}
	b := &file{ID: "a", CreatedTime: time.Unix(100, 0)}
	c := &file{ID: "0", CreatedTime: time.Unix(101, 0)}
	if !older(b, a) || older(a, b) || !older(a, c) || older(c, b) {
		t.Error("older does not order by createdTime, then id")
	}
}

// Folder ids are cached; changes made here update the cache at once,
// changes by others show after the TTL.
func TestCache(t *testing.T) {
	fake := drivefake.New(t)
	s, _ := newStore(t, fake, Config{CacheTTL: time.Minute})
	ctx := t.Context()
	clock := time.Now()
	s.now = func() time.Time { return clock }

	mkdirs(t, s, "/a", "/a/b")
	mustPut(t, s, "/a/b/x", []byte("x"))
	lists := fake.Count("files.list")
	stat(t, s, "/a/b/x")
	if n := fake.Count("files.list") - lists; n != 1 {
		t.Errorf("Stat of a name in a known folder took %d lists, want 1", n)
	}

	// RemoveAll and Mkdir here: the new folder, not the old id.
	if err := s.RemoveAll(ctx, "/a"); err != nil {
		t.Fatal(err)
	}
	wantErrIs(t, statErr(s, "/a/b/x"), fs.ErrNotExist)
	mkdirs(t, s, "/a", "/a/b")
	mustPut(t, s, "/a/b/y", []byte("y"))
	wantNames(t, s, "/a/b", "y")

	// Move here: the old path is gone at once, the new one works.
	if err := s.Move(ctx, "/a", "/m"); err != nil {
		t.Fatal(err)
	}
	wantErrIs(t, statErr(s, "/a/b/y"), fs.ErrNotExist)
	_, err := s.Put(ctx, "/a/b/z", bytes.NewReader(nil), 0)
	wantErrIs(t, err, fs.ErrNotExist)
	wantContent(t, s, "/m/b/y", []byte("y"))

	// Delete here, then a new folder of the same name.
	if err := s.Delete(ctx, "/m/b/y"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "/m/b"); err != nil {
		t.Fatal(err)
	}
	mkdirs(t, s, "/m/b")
	mustPut(t, s, "/m/b/w", []byte("w"))
	wantNames(t, s, "/m/b", "w")

	// Another client renames /m: the cached id serves until the TTL ends.
	m := fake.Children("root", "m")[0].ID
	fake.Rename(m, "renamed")
	if _, err := s.Stat(ctx, "/m/b/w"); err != nil {
		t.Errorf("within the TTL: %v", err)
	}
	clock = clock.Add(time.Minute)
	wantErrIs(t, statErr(s, "/m/b/w"), fs.ErrNotExist)
	wantContent(t, s, "/renamed/b/w", []byte("w"))

	// Without a cache another client's change shows at once.
	s2, _ := newStore(t, fake, Config{CacheTTL: -1})
	stat(t, s2, "/renamed/b/w")
	fake.Rename(m, "again")
	wantErrIs(t, statErr(s2, "/renamed/b/w"), fs.ErrNotExist)
}

// Native Google Docs files have no content to download: hidden, like
// names no path can reach.
func TestNativeDocsHidden(t *testing.T) {
	fake := drivefake.New(t)
	s, _ := newStore(t, fake, Config{})
	ctx := t.Context()
	doc := fake.AddFile("root", "Notes", drivefake.DocType, nil)
	fake.AddFile("root", "Link", "application/vnd.google-apps.shortcut", nil)
	for _, name := range []string{"a/b", "..", "."} { // names no path reaches
		fake.AddFile("root", name, "text/plain", []byte("x"))
	}
	mustPut(t, s, "/plain.txt", []byte("p"))
	wantNames(t, s, "/", "plain.txt")
	for _, name := range []string{"/Notes", "/Link"} {
		wantErrIs(t, statErr(s, name), fs.ErrNotExist)
		_, err := s.Open(ctx, name, 0, -1)
		wantErrIs(t, err, fs.ErrNotExist)
	}
	// A Put of the same name makes a separate file and leaves the doc.
	mustPut(t, s, "/Notes", []byte("binary notes"))
	wantContent(t, s, "/Notes", []byte("binary notes"))
	if f, ok := fake.Get(doc); !ok || f.MimeType != drivefake.DocType || f.Trashed {
		t.Errorf("the Google Docs file became %+v", f)
	}
	// A folder holding only a hidden file lists empty but is not empty
	// for Delete; RemoveAll takes it.
	mkdirs(t, s, "/docs")
	dir := fake.Children("root", "docs")[0].ID
	fake.AddFile(dir, "Budget", "application/vnd.google-apps.spreadsheet", nil)
	wantNames(t, s, "/docs")
	if err := s.Delete(ctx, "/docs"); err == nil {
		t.Error("Delete of a folder holding a Google Sheets file succeeded")
	}
	if err := s.RemoveAll(ctx, "/docs"); err != nil {
		t.Fatal(err)
	}
	wantErrIs(t, statErr(s, "/docs"), fs.ErrNotExist)
}

// Rate limits and 5xx answers are retried with growing pauses.
func TestRetries(t *testing.T) {
	fake := drivefake.New(t)
	s, sl := newStore(t, fake, Config{})
	mustPut(t, s, "/f", []byte("x"))

	for _, ft := range []drivefake.Fault{
		{Status: 403, Reason: "userRateLimitExceeded"},
		{Status: 403, Reason: "rateLimitExceeded"},
		{Status: 429},
		{Status: 500},
		{Status: 503},
	} {
		before := len(sl.all())
		fake.Inject(3, ft)
		if _, err := s.Stat(t.Context(), "/f"); err != nil {
			t.Errorf("%d %s: %v", ft.Status, ft.Reason, err)
		}
		if fake.Pending() != 0 {
			t.Errorf("%d %s: faults left", ft.Status, ft.Reason)
		}
		d := sl.all()[before:]
		if len(d) != 3 || !(d[0] < d[1] && d[1] < d[2]) {
			t.Errorf("%d %s: pauses %v, want 3 growing ones", ft.Status, ft.Reason, d)
		}
	}

	// Retry-After is honoured.
	before := len(sl.all())
	fake.Inject(1, drivefake.Fault{Status: 429, RetryAfter: 7 * time.Second})
	stat(t, s, "/f")
	if d := sl.all()[before:]; len(d) != 1 || d[0] < 7*time.Second {
		t.Errorf("pauses %v, want one of at least 7s", d)
	}

	// Other 403s are no rate limit: fs.ErrPermission at once.
	before = len(sl.all())
	fake.Inject(1, drivefake.Fault{Status: 403, Reason: "insufficientFilePermissions"})
	wantErrIs(t, statErr(s, "/f"), fs.ErrPermission)
	if d := sl.all()[before:]; len(d) != 0 {
		t.Errorf("a plain 403 was retried: %v", d)
	}
}

// Failed chunks are retried after a status query, the session keeping
// what it has.
func TestChunkRetries(t *testing.T) {
	fake := drivefake.New(t)
	s, _ := newStore(t, fake, Config{ChunkSize: ChunkUnit})
	for i, ft := range []drivefake.Fault{
		{Op: "upload.chunk", Status: 503},
		{Op: "upload.chunk", Status: 403, Reason: "userRateLimitExceeded"},
		{Op: "upload.chunk", Status: 429},
		{Op: "upload.status", Status: 500}, // the status query fails too
	} {
		for _, size := range []int64{5*ChunkUnit + 99, -1} {
			data := randBytes(uint64(i), 5*ChunkUnit+99)
			fake.Inject(2, ft)
			if ft.Op == "upload.status" {
				fake.Inject(1, drivefake.Fault{Op: "upload.chunk", Status: 502})
			}
			queries := fake.Count("upload.status")
			name := fmt.Sprintf("/f%d_%d", i, size)
			if _, err := s.Put(t.Context(), name, bytes.NewReader(data), size); err != nil {
				t.Fatalf("%+v: %v", ft, err)
			}
			wantContent(t, s, name, data)
			if fake.Count("upload.status") == queries {
				t.Errorf("%+v: no status query after a failed chunk", ft)
			}
			if fake.Pending() != 0 {
				t.Errorf("%+v: faults left", ft)
			}
		}
	}
}

// When retries run out the error is backends.ErrUnavailable and nothing
// changed.
func TestUnavailable(t *testing.T) {
	fake := drivefake.New(t)
	s, sl := newStore(t, fake, Config{MaxRetries: 3, ChunkSize: ChunkUnit})
	old := randBytes(7, 1000)
	mustPut(t, s, "/f", old)

	fake.Inject(4, drivefake.Fault{Status: 503})
	wantErrIs(t, statErr(s, "/f"), backends.ErrUnavailable)
	if n := len(sl.all()); n != 3 {
		t.Errorf("%d pauses, want 3", n)
	}
	fake.Inject(4, drivefake.Fault{Status: 403, Reason: "userRateLimitExceeded"})
	wantErrIs(t, statErr(s, "/f"), backends.ErrUnavailable)

	// Out of retries in the middle of an upload: cancelled, old content.
	fake.Inject(100, drivefake.Fault{Op: "upload.chunk", Status: 503})
	fake.Inject(100, drivefake.Fault{Op: "upload.status", Status: 503})
	_, err := s.Put(t.Context(), "/f", bytes.NewReader(randBytes(8, 3*ChunkUnit)), 3*ChunkUnit)
	wantErrIs(t, err, backends.ErrUnavailable)
	if n := fake.Sessions(); n != 0 {
		t.Errorf("%d sessions left open", n)
	}
	wantContent(t, s, "/f", old)
}

// A server that cannot be reached is backends.ErrUnavailable too.
func TestUnreachable(t *testing.T) {
	fake := drivefake.New(t)
	url := fake.URL
	fake.Close()
	s, sl := newStore(t, fake, Config{BaseURL: url, MaxRetries: 2})
	wantErrIs(t, statErr(s, "/f"), backends.ErrUnavailable)
	if n := len(sl.all()); n != 2 {
		t.Errorf("%d pauses, want 2", n)
	}
	// A cancelled context is no outage.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.Stat(ctx, "/f")
	if !errors.Is(err, context.Canceled) || errors.Is(err, backends.ErrUnavailable) {
		t.Errorf("Stat with a cancelled context: %v", err)
	}
}

// refresher is a token source that, like an OAuth server, hands out a new
// access token on every call and makes Drive accept it.
type refresher struct {
	fake *drivefake.Fake
	mu   sync.Mutex
	n    int
	last *oauth2.Token
}

func (r *refresher) Token() (*oauth2.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	r.last = &oauth2.Token{AccessToken: fmt.Sprintf("token-%d", r.n), TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
	r.fake.SetToken(r.last.AccessToken)
	return r.last, nil
}

func (r *refresher) issued() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// expire plays the clock past the current token's expiry: Drive refuses
// it, and oauth2.ReuseTokenSource, seeing its Expiry passed, asks for a
// new one. (Called on the goroutine that makes the requests.)
func (r *refresher) expire() {
	r.mu.Lock()
	r.last.Expiry = time.Now().Add(-time.Minute)
	r.mu.Unlock()
	r.fake.ExpireToken()
}

func TestTokenRefresh(t *testing.T) {
	fake := drivefake.New(t)
	src := &refresher{fake: fake}
	s, _ := newStore(t, fake, Config{TokenSource: oauth2.ReuseTokenSource(nil, src), ChunkSize: ChunkUnit})
	mustPut(t, s, "/a", []byte("a"))
	if n := src.issued(); n != 1 {
		t.Fatalf("%d tokens issued, want 1 reused", n)
	}
	src.expire()
	wantContent(t, s, "/a", []byte("a"))
	if n := src.issued(); n != 2 {
		t.Errorf("%d tokens issued after expiry, want 2", n)
	}

	// The token expires in the middle of an upload.
	data := randBytes(9, 4*ChunkUnit)
	r := &onceReader{r: bytes.NewReader(data), at: 2 * ChunkUnit, fn: src.expire}
	if _, err := s.Put(t.Context(), "/big", r, int64(len(data))); err != nil {
		t.Fatalf("Put across a token expiry: %v", err)
	}
	wantContent(t, s, "/big", data)
	if n := src.issued(); n != 3 {
		t.Errorf("%d tokens issued, want 3", n)
	}

	// Drive refusing a token the source still deems valid (revoked,
	// clocks apart): one more try, then fs.ErrPermission.
	fake.ExpireToken()
	wantErrIs(t, statErr(s, "/a"), fs.ErrPermission)
	fake.SetToken("token-3")
	stat(t, s, "/a")
}

// onceReader calls fn once, when at bytes have been read.
type onceReader struct {
	r    io.Reader
	at   int64
	n    int64
	fn   func()
	done bool
}

func (o *onceReader) Read(p []byte) (int, error) {
	if !o.done && o.n >= o.at {
		o.done = true
		o.fn()
	}
	if !o.done {
		p = p[:min(int64(len(p)), o.at-o.n)]
	}
	n, err := o.r.Read(p)
	o.n += int64(n)
	return n, err
}

// Drive's storage quota: Space reports it, a full drive is ENOSPC.
func TestQuota(t *testing.T) {
	fake := drivefake.New(t)
	s, _ := newStore(t, fake, Config{})
	fake.SetQuota(10_000)
	mustPut(t, s, "/a", randBytes(1, 4000))
	used, avail, err := s.Space(t.Context())
	if err != nil || used != 4000 || avail != 6000 {
		t.Errorf("Space = %d, %d, %v; want 4000, 6000", used, avail, err)
	}
	for _, size := range []int64{7000, -1} {
		_, err = s.Put(t.Context(), "/b", bytes.NewReader(randBytes(2, 7000)), size)
		wantErrIs(t, err, syscall.ENOSPC)
	}
	wantErrIs(t, statErr(s, "/b"), fs.ErrNotExist)
	fake.SetQuota(-1)
	if _, avail, err := s.Space(t.Context()); err != nil || avail != -1 {
		t.Errorf("unlimited: available %d, %v", avail, err)
	}
}

// Delete trashes by default (and the trash counts in Drive's usage), or
// deletes for good.
func TestDeleteTrash(t *testing.T) {
	fake := drivefake.New(t)
	for _, permanent := range []bool{false, true} {
		s, _ := newStore(t, fake, Config{DeletePermanently: permanent})
		name := fmt.Sprintf("/f%v", permanent)
		mustPut(t, s, name, []byte("x"))
		id := fake.Children("root", name[1:])[0].ID
		if err := s.Delete(t.Context(), name); err != nil {
			t.Fatal(err)
		}
		wantErrIs(t, statErr(s, name), fs.ErrNotExist)
		f, ok := fake.Get(id)
		if permanent && ok {
			t.Errorf("permanent delete left %+v", f)
		}
		if !permanent && (!ok || !f.Trashed) {
			t.Errorf("delete did not trash: %+v, %v", f, ok)
		}
	}
}

// Touch sets Drive's modifiedTime, which Stat and List report.
func TestTouchMillis(t *testing.T) {
	fake := drivefake.New(t)
	s, _ := newStore(t, fake, Config{})
	mustPut(t, s, "/f", []byte("x"))
	when := time.Date(2020, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	if err := s.Touch(t.Context(), "/f", when); err != nil {
		t.Fatal(err)
	}
	if got := stat(t, s, "/f").ModTime; !got.Equal(when) {
		t.Errorf("ModTime %v, want %v", got, when)
	}
}

// --- helpers

func randBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 7}).Read(b)
	return b
}

func mustPut(t *testing.T, s *Store, name string, data []byte) {
	t.Helper()
	if _, err := s.Put(t.Context(), name, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("Put(%q): %v", name, err)
	}
}

func mkdirs(t *testing.T, s *Store, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := s.Mkdir(t.Context(), n); err != nil {
			t.Fatalf("Mkdir(%q): %v", n, err)
		}
	}
}

func stat(t *testing.T, s *Store, name string) backends.FileInfo {
	t.Helper()
	fi, err := s.Stat(t.Context(), name)
	if err != nil {
		t.Fatalf("Stat(%q): %v", name, err)
	}
	return fi
}

func statErr(s *Store, name string) error {
	_, err := s.Stat(context.Background(), name)
	return err
}

func wantErrIs(t *testing.T, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Errorf("error %v, want one wrapping %v", err, kind)
	}
}

func wantContent(t *testing.T, s *Store, name string, want []byte) {
	t.Helper()
	rc, err := s.Open(t.Context(), name, 0, -1)
	if err != nil {
		t.Errorf("Open(%q): %v", name, err)
		return
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("content of %q: %d bytes (%v), want %d", name, len(got), err, len(want))
	}
}

func listMap(t *testing.T, s *Store, dir string) map[string]backends.FileInfo {
	t.Helper()
	l, err := s.List(t.Context(), dir)
	if err != nil {
		t.Fatalf("List(%q): %v", dir, err)
	}
	m := map[string]backends.FileInfo{}
	for _, fi := range l {
		if _, dup := m[fi.Name]; dup {
			t.Errorf("List(%q) shows %q twice", dir, fi.Name)
		}
		m[fi.Name] = fi
	}
	return m
}

func wantNames(t *testing.T, s *Store, dir string, names ...string) {
	t.Helper()
	var got []string
	for n := range listMap(t, s, dir) {
		got = append(got, n)
	}
	slices.Sort(got)
	slices.Sort(names)
	if !slices.Equal(got, names) {
		t.Errorf("List(%q) = %q, want %q", dir, got, names)
	}
}
