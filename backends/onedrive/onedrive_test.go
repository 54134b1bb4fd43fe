package onedrive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/backends/onedrive/graphfake"
)

// recorded is one request as it left the driver.
type recorded struct {
	method, url, auth, rng, contentRange string
	length                               int64
}

// recorder is a transport that records requests and can replace answers.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
	// hook, when set, may answer instead of the server (handled true).
	hook func(*http.Request) (*http.Response, error, bool)
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, recorded{req.Method, req.URL.String(), req.Header.Get("Authorization"),
		req.Header.Get("Range"), req.Header.Get("Content-Range"), req.ContentLength})
	hook := r.hook
	r.mu.Unlock()
	if hook != nil {
		if resp, err, ok := hook(req); ok {
			if req.Body != nil {
				req.Body.Close() // as RoundTrip must
			}
			return resp, err
		}
	}
	return http.DefaultTransport.RoundTrip(req)
}

func (r *recorder) take() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.reqs
	r.reqs = nil
	return out
}

// sleeps records the driver's backoff waits instead of waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) take() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.d
	s.d = nil
	return out
}

type env struct {
	f   *graphfake.Fake
	b   *Backend
	rec *recorder
	z   *sleeps
	tmp string
}

func setup(t *testing.T, cfg Config) *env {
	e := &env{f: graphfake.New(t), rec: &recorder{}, z: &sleeps{}, tmp: t.TempDir()}
	cfg.HTTPClient = &http.Client{Transport: e.rec}
	cfg.TempDir = e.tmp
	cfg.sleep = e.z.sleep
	e.b = newBackend(t, e.f, cfg)
	e.rec.take()
	return e
}

func (e *env) put(t *testing.T, name string, data []byte) {
	t.Helper()
	if _, err := e.b.Put(t.Context(), name, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("Put(%q): %v", name, err)
	}
}

func (e *env) want(t *testing.T, name string, data []byte) {
	t.Helper()
	rc, err := e.b.Open(t.Context(), name, 0, -1)
	if err != nil {
		t.Fatalf("Open(%q): %v", name, err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("content of %q: %d bytes, %v; want %d bytes", name, len(got), err, len(data))
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{7}).Read(b)
	return b
}

// uploads returns the fragment requests among reqs.
func uploads(reqs []recorded) []recorded {
	var out []recorded
	for _, r := range reqs {
		if r.method == http.MethodPut && r.contentRange != "" {
			out = append(out, r)
		}
	}
	return out
}

func countCreates(reqs []recorded) (sessions, simple int) {
	for _, r := range reqs {
		switch {
		case strings.HasSuffix(r.url, ":/createUploadSession"):
			sessions++
		case r.method == http.MethodPut && strings.Contains(r.url, ":/content"):
			simple++
		}
	}
	return sessions, simple
}

func TestUploadPaths(t *testing.T) {
	const part = 3 * fragmentUnit
	e := setup(t, Config{PartSize: part})
	for _, c := range []struct {
		name            string
		size            int
		known           bool
		sessions, parts int
	}{
		{"empty", 0, true, 0, 0},
		{"small unknown", 100_000, false, 0, 0},
		{"4 MiB known", simpleMax, true, 0, 0},
		{"4 MiB unknown", simpleMax, false, 0, 0},
		{"4 MiB + 1 known", simpleMax + 1, true, 1, 5},
		{"4 MiB + 1 unknown", simpleMax + 1, false, 1, 5},
		{"odd known", 5*part + 12345, true, 1, 6},
		{"exact parts unknown", 5 * part, false, 1, 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := randomBytes(c.size)
			size := int64(c.size)
			if !c.known {
				size = -1
			}
			fi, err := e.b.Put(t.Context(), "/f", chunked(data), size)
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			if fi.Size != int64(c.size) {
				t.Errorf("Put returned Size %d", fi.Size)
			}
			reqs := e.rec.take()
			sessions, simple := countCreates(reqs)
			if sessions != c.sessions || simple != 1-c.sessions {
				t.Errorf("%d upload sessions and %d simple uploads, want %d and %d", sessions, simple, c.sessions, 1-c.sessions)
			}
			frags := uploads(reqs)
			if len(frags) != c.parts {
				t.Errorf("%d fragments, want %d", len(frags), c.parts)
			}
			var next int64
			for i, r := range frags {
				var start, end, total int64
				if _, err := fmt.Sscanf(r.contentRange, "bytes %d-%d/%d", &start, &end, &total); err != nil {
					t.Fatalf("Content-Range %q: %v", r.contentRange, err)
				}
				if start != next || total != int64(c.size) || r.length != end-start+1 {
					t.Errorf("fragment %d: Content-Range %q, length %d after %d bytes", i, r.contentRange, r.length, next)
				}
				if i < len(frags)-1 && r.length != part {
					t.Errorf("fragment %d has %d bytes, want %d", i, r.length, part)
				}
				if r.auth != "" {
					t.Errorf("fragment %d carries Authorization", i)
				}
				next = end + 1
			}
			if c.parts > 0 && next != int64(c.size) {
				t.Errorf("fragments end at %d of %d", next, c.size)
			}
			e.want(t, "/f", data)
			if ents, _ := os.ReadDir(e.tmp); len(ents) != 0 {
				t.Errorf("spool files left: %v", ents)
			}
		})
	}
}

// chunked hides bytes.Reader's WriterTo and Len, so the driver sees a plain
// stream.
func chunked(b []byte) io.Reader { return struct{ io.Reader }{bytes.NewReader(b)} }

// failAfter yields data, then err after n bytes.
type failAfter struct {
	r   io.Reader
	n   int
	err error
	on  func()
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n <= 0 {
		if f.on != nil {
			f.on()
			f.on = nil
		}
		if f.err != nil {
			return 0, f.err
		}
	}
	if len(p) > f.n && f.n > 0 {
		p = p[:f.n]
	}
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

// A session upload that fails part way cancels its session and leaves the
// old content.
func TestFailedSessionUpload(t *testing.T) {
	e := setup(t, Config{PartSize: fragmentUnit})
	old := randomBytes(1000)
	e.put(t, "/f", old)
	data := randomBytes(6 << 20)
	for _, c := range []struct {
		name   string
		size   int64
		err    error
		cancel bool
	}{
		{"reader error", int64(len(data)), errors.New("broken"), false},
		{"short body", int64(len(data)) + 1, nil, false},
		{"cancelled", int64(len(data)), nil, true},
		{"reader error unknown size", -1, errors.New("broken"), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			r := &failAfter{r: bytes.NewReader(data), n: 5 << 20, err: c.err}
			if c.cancel {
				r.on = cancel
			}
			if c.size < 0 {
				r.n = len(data) - 1000 // into the spool
			}
			if _, err := e.b.Put(ctx, "/f", r, c.size); err == nil {
				t.Fatal("Put succeeded")
			}
			reqs := e.rec.take()
			if c.size > 0 && len(uploads(reqs)) < 10 {
				t.Errorf("only %d fragments were sent before the failure", len(uploads(reqs)))
			}
			if n := e.f.Sessions(); n != 0 {
				t.Errorf("%d upload sessions left open", n)
			}
			e.want(t, "/f", old)
			if ents, _ := os.ReadDir(e.tmp); len(ents) != 0 {
				t.Errorf("spool files left: %v", ents)
			}
		})
	}
}

// A fragment that reached the service but whose answer was lost is not
// sent twice: the 416 on the retry is checked against the session's state.
func TestFragmentRetryAfterLostAnswer(t *testing.T) {
	e := setup(t, Config{PartSize: fragmentUnit})
	var puts atomic.Int32
	e.rec.hook = func(req *http.Request) (*http.Response, error, bool) {
		if req.Header.Get("Content-Range") == "" || puts.Add(1) != 2 {
			return nil, nil, false
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err == nil {
			drain(resp)
		}
		return nil, errors.New("connection reset after the body was sent"), true
	}
	data := randomBytes(3*fragmentUnit + 10 + simpleMax)
	e.put(t, "/f", data)
	e.want(t, "/f", data)
	if got := e.z.take(); len(got) != 1 {
		t.Errorf("backoff sleeps %v, want one", got)
	}
}

func TestThrottleRetryAfter(t *testing.T) {
	e := setup(t, Config{})
	e.put(t, "/f", []byte("x"))
	for _, status := range []int{429, 503} {
		e.f.Throttle(2, status, 7*time.Second)
		if _, err := e.b.Stat(t.Context(), "/f"); err != nil {
			t.Fatalf("Stat after %d: %v", status, err)
		}
		if got := e.z.take(); !slices.Equal(got, []time.Duration{7 * time.Second, 7 * time.Second}) {
			t.Errorf("after %d the driver slept %v, want Retry-After 7s twice", status, got)
		}
	}
	// Throttled fragments and downloads are retried the same way.
	var frag, dl atomic.Bool
	e.rec.hook = func(req *http.Request) (*http.Response, error, bool) {
		if req.Header.Get("Content-Range") != "" && !frag.Swap(true) ||
			strings.HasPrefix(req.URL.Path, "/download/") && !dl.Swap(true) {
			return throttled(req, "3"), nil, true
		}
		return nil, nil, false
	}
	data := randomBytes(simpleMax + 1)
	e.put(t, "/big", data)
	e.want(t, "/big", data)
	if !frag.Load() || !dl.Load() {
		t.Fatal("no fragment or download was throttled")
	}
	if got := e.z.take(); !slices.Equal(got, []time.Duration{3 * time.Second, 3 * time.Second}) {
		t.Errorf("slept %v, want Retry-After 3s twice", got)
	}
}

// throttled is Graph's 429 answer.
func throttled(req *http.Request, retryAfter string) *http.Response {
	return &http.Response{
		StatusCode: http.StatusTooManyRequests,
		Header:     http.Header{"Retry-After": {retryAfter}, "Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader(`{"error":{"code":"activityLimitReached","message":"throttled"}}`)),
		Request:    req,
	}
}

func TestUnavailableAfterRetries(t *testing.T) {
	e := setup(t, Config{})
	e.put(t, "/f", []byte("x"))
	e.f.Throttle(defaultTries, 503, 0)
	_, err := e.b.Stat(t.Context(), "/f")
	if !errors.Is(err, backends.ErrUnavailable) {
		t.Fatalf("Stat after %d failures: %v, want ErrUnavailable", defaultTries, err)
	}
	got := e.z.take()
	if len(got) != defaultTries-1 {
		t.Fatalf("slept %v, want %d backoffs", got, defaultTries-1)
	}
	for i, d := range got { // 0.5s, 1s, 2s, 4s less up to a quarter
		if top := minBackoff << i; d > top || d < top*3/4 {
			t.Errorf("backoff %d is %v, want within (%v, %v]", i, d, top*3/4, top)
		}
	}
	// A Retry-After beyond what a WebDAV client waits fails at once.
	e.f.Throttle(1, 429, time.Hour)
	if _, err := e.b.Stat(t.Context(), "/f"); !errors.Is(err, backends.ErrUnavailable) {
		t.Errorf("Stat with Retry-After 1h: %v", err)
	}
	if got := e.z.take(); len(got) != 0 {
		t.Errorf("slept %v for an hour's Retry-After", got)
	}
	// The fake is fine again.
	if _, err := e.b.Stat(t.Context(), "/f"); err != nil {
		t.Errorf("Stat afterwards: %v", err)
	}
}

func TestNewErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	z := &sleeps{}
	_, err := New(t.Context(), Config{BaseURL: srv.URL, TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "x"}), sleep: z.sleep})
	if !errors.Is(err, backends.ErrUnavailable) {
		t.Errorf("New against a closed port: %v, want ErrUnavailable", err)
	}
	if got := z.take(); len(got) != defaultTries-1 {
		t.Errorf("New slept %v, want %d backoffs", got, defaultTries-1)
	}
	f := graphfake.New(t)
	_, err = New(t.Context(), Config{BaseURL: f.URL, TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "wrong"})})
	if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("New with a refused token: %v, want ErrPermission", err)
	}
	for _, part := range []int64{100 << 10, 61 * fragmentUnit * 4, -fragmentUnit} {
		if _, err := New(t.Context(), Config{BaseURL: f.URL, TokenSource: &fakeSource{f: f}, PartSize: part}); err == nil {
			t.Errorf("New accepted PartSize %d", part)
		}
	}
}

// refreshing mints a new token on every call and makes the fake accept
// only that one, as an authorization server rotating access tokens.
type refreshing struct {
	f           *graphfake.Fake
	mints       atomic.Int32
	invalidated atomic.Int32
	last        *oauth2.Token
}

func (r *refreshing) Token() (*oauth2.Token, error) {
	n := r.mints.Add(1)
	tok := fmt.Sprintf("access-%d", n)
	r.f.SetToken(tok)
	r.last = &oauth2.Token{AccessToken: tok, TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
	return r.last, nil
}

// withInvalidate adds the optional Invalidate method to a reusing source.
type withInvalidate struct {
	oauth2.TokenSource
	r     *refreshing
	reuse func() oauth2.TokenSource
}

func (w *withInvalidate) Invalidate() {
	w.r.invalidated.Add(1)
	w.TokenSource = w.reuse() // forget the cached token
}

func authOf(reqs []recorded) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.auth)
	}
	return out
}

func TestTokenExpiry(t *testing.T) {
	t.Run("expiry seen by the source", func(t *testing.T) {
		e := setup(t, Config{})
		src := &refreshing{f: e.f}
		e.b.ts = oauth2.ReuseTokenSource(nil, src)
		e.put(t, "/f", []byte("x"))
		if n := src.mints.Load(); n != 1 {
			t.Fatalf("%d tokens minted for one Put, want 1 (reused)", n)
		}
		// An hour later: the token has expired on both sides.
		src.last.Expiry = time.Now().Add(-time.Minute)
		e.f.ExpireToken()
		e.rec.take()
		if _, err := e.b.Stat(t.Context(), "/f"); err != nil {
			t.Fatalf("Stat after expiry: %v", err)
		}
		if n := src.mints.Load(); n != 2 {
			t.Errorf("%d tokens minted, want a refresh", n)
		}
		if got := authOf(e.rec.take()); !slices.Equal(got, []string{"Bearer access-2"}) {
			t.Errorf("requests carried %q", got)
		}
	})
	t.Run("expiry seen by Graph first", func(t *testing.T) {
		e := setup(t, Config{})
		src := &refreshing{f: e.f}
		reuse := func() oauth2.TokenSource { return oauth2.ReuseTokenSource(nil, src) }
		e.b.ts = &withInvalidate{TokenSource: reuse(), r: src, reuse: reuse}
		e.put(t, "/f", []byte("x"))
		e.f.ExpireToken() // revoked or clock skew: the source still trusts it
		e.rec.take()
		if _, err := e.b.Stat(t.Context(), "/f"); err != nil {
			t.Fatalf("Stat after Graph refused the token: %v", err)
		}
		if src.invalidated.Load() != 1 || src.mints.Load() != 2 {
			t.Errorf("invalidated %d times, minted %d tokens; want 1 and 2", src.invalidated.Load(), src.mints.Load())
		}
		if got := authOf(e.rec.take()); !slices.Equal(got, []string{"Bearer access-1", "Bearer access-2"}) {
			t.Errorf("requests carried %q", got)
		}
	})
	t.Run("no new token", func(t *testing.T) {
		e := setup(t, Config{})
		e.f.ExpireToken()
		_, err := e.b.Stat(t.Context(), "/")
		if !errors.Is(err, fs.ErrPermission) {
			t.Errorf("Stat with an expired token: %v, want ErrPermission", err)
		}
		if n := len(e.rec.take()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
	t.Run("source errors", func(t *testing.T) {
		e := setup(t, Config{})
		refused := &oauth2.RetrieveError{Response: &http.Response{StatusCode: 400}, ErrorCode: "invalid_grant"}
		for err, kind := range map[error]error{
			refused:                           fs.ErrPermission,
			errors.New("token store offline"): backends.ErrUnavailable,
		} {
			e.b.ts = errSource{err}
			if _, got := e.b.Stat(t.Context(), "/"); !errors.Is(got, kind) {
				t.Errorf("token error %v: Stat %v, want %v", err, got, kind)
			}
		}
	})
}

type errSource struct{ err error }

func (s errSource) Token() (*oauth2.Token, error) { return nil, s.err }

func TestDownloadRedirect(t *testing.T) {
	e := setup(t, Config{})
	data := randomBytes(100_000)
	e.put(t, "/f", data)
	e.rec.take()
	rc, err := e.b.Open(t.Context(), "/f", 1000, 500)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data[1000:1500]) {
		t.Fatalf("ranged read: %d bytes, %v", len(got), err)
	}
	reqs := e.rec.take()
	if len(reqs) != 2 {
		t.Fatalf("requests %+v, want /content and the download URL", reqs)
	}
	api, dl := reqs[0], reqs[1]
	if !strings.HasSuffix(api.url, ":/content") || api.auth == "" {
		t.Errorf("first request %s with Authorization %q", api.url, api.auth)
	}
	if strings.HasPrefix(dl.url, e.f.URL) || dl.auth != "" || dl.rng != "bytes=1000-1499" {
		t.Errorf("download request %s, Authorization %q, Range %q", dl.url, dl.auth, dl.rng)
	}
	// The download URL itself refuses an Authorization header, as the
	// fake's check of the driver relies on.
	req, _ := http.NewRequest(http.MethodGet, dl.url, nil)
	req.Header.Set("Authorization", "Bearer "+e.f.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("download URL with Authorization answered %d", resp.StatusCode)
	}
}

func TestNameEncoding(t *testing.T) {
	for in, want := range map[string]string{
		"a?b":         "a？b",
		`<>:"\|*`:     "＜＞：＂＼｜＊",
		"#%":          "＃％",
		" x ":         "␠x␠",
		"x.":          "x．",
		"...":         "..．",
		"~$lock":      "～$lock",
		"CON":         "ＣON",
		"desktop.ini": "ｄesktop.ini",
		"a_vti_b":     "a＿vti_b",
		"a\x01b":      "a␁b",
		"plain name":  "plain name",
		"a？b":         "a‛？b",
		"‛":           "‛‛",
		"\xff":        "\uEEFF",
	} {
		if got := encodeName(in); got != want {
			t.Errorf("encodeName(%q) = %q, want %q", in, got, want)
		}
		if got := decodeName(encodeName(in)); got != in {
			t.Errorf("decodeName(encodeName(%q)) = %q", in, got)
		}
	}
	// Names as another client stores them decode to the ASCII original,
	// which encodes back to the stored name.
	for _, stored := range []string{"a？b", "x．", "␠y"} {
		if got := encodeName(decodeName(stored)); got != stored {
			t.Errorf("stored %q decodes and encodes to %q", stored, got)
		}
	}
}

// forbidden reports why OneDrive would refuse an encoded name.
func forbidden(s string) string {
	lower := strings.ToLower(s)
	switch {
	case strings.ContainsAny(s, "\"*:<>?/\\|#%\x7f") || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 }):
		return "a forbidden character"
	case strings.HasPrefix(s, " ") || strings.HasPrefix(s, "~") || strings.HasSuffix(s, " ") || strings.HasSuffix(s, "."):
		return "a forbidden first or last character"
	case reservedNames[lower] || strings.Contains(lower, "_vti_"):
		return "a reserved name"
	}
	return ""
}

func FuzzNames(f *testing.F) {
	for _, s := range []string{"a?b", " x.", "CON", "‛？", "~$x", "_VTI_", "\xff\xfe", "．", "␀"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if s == "" || strings.ContainsAny(s, "/\x00") {
			return // never a name
		}
		enc := encodeName(s)
		if why := forbidden(enc); why != "" {
			t.Errorf("encodeName(%q) = %q has %s", s, enc, why)
		}
		if got := decodeName(enc); got != s {
			t.Errorf("decodeName(encodeName(%q)) = %q", s, got)
		}
	})
}

// Names OneDrive refuses round-trip through the fake, which refuses them
// too; on the drive they appear as lookalikes.
func TestHostileNamesOnDrive(t *testing.T) {
	e := setup(t, Config{})
	names := []string{"a?b", "CON", "nul", ".lock", "desktop.ini", "~$x", "x_vti_y", "trail.", " lead", "trail ",
		"tab\there", "a？literal", "‛quote", "bad\xffutf8", "#%", `back\slash`, "pipe|star*"}
	for _, n := range names {
		e.put(t, "/"+n, []byte(n))
		if err := e.b.Mkdir(t.Context(), "/dir "+n); err != nil {
			t.Errorf("Mkdir(%q): %v", "dir "+n, err)
		}
	}
	l, err := e.b.List(t.Context(), "/")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, fi := range l {
		got = append(got, fi.Name)
	}
	var want []string
	for _, n := range names {
		want = append(want, n, "dir "+n)
		e.want(t, "/"+n, []byte(n))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("List = %q\nwant %q", got, want)
	}
	// What Graph itself lists.
	req, _ := http.NewRequest(http.MethodGet, e.f.URL+"/me/drive/root:/a？b", nil)
	req.Header.Set("Authorization", "Bearer "+e.f.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf(`"a?b" is not stored as "a？b" (%d)`, resp.StatusCode)
	}
}

// OneDrive compares names without regard to case: a change of case is a
// rename of the same entry, not a replacement.
func TestCaseOnlyMove(t *testing.T) {
	e := setup(t, Config{})
	e.put(t, "/readme", []byte("x"))
	if err := e.b.Move(t.Context(), "/readme", "/README"); err != nil {
		t.Fatalf("Move: %v", err)
	}
	l, err := e.b.List(t.Context(), "/")
	if err != nil || len(l) != 1 || l[0].Name != "README" {
		t.Fatalf("List = %+v, %v; want README", l, err)
	}
	e.want(t, "/README", []byte("x"))
}

func TestQuotaFull(t *testing.T) {
	e := setup(t, Config{})
	e.put(t, "/f", randomBytes(1000))
	used, avail, err := e.b.Space(t.Context())
	if err != nil || used != 1000 || avail <= 0 {
		t.Fatalf("Space = %d, %d, %v", used, avail, err)
	}
	e.f.SetQuota(2000)
	for _, size := range []int{1500, simpleMax + 1} {
		_, err := e.b.Put(t.Context(), "/g", bytes.NewReader(randomBytes(size)), int64(size))
		if !errors.Is(err, syscall.ENOSPC) {
			t.Errorf("Put of %d bytes over quota: %v, want ENOSPC", size, err)
		}
	}
	if used, avail, err := e.b.Space(t.Context()); err != nil || used != 1000 || avail != 1000 {
		t.Errorf("Space = %d, %d, %v; want 1000, 1000", used, avail, err)
	}
	if n := e.f.Sessions(); n != 0 {
		t.Errorf("%d upload sessions left open", n)
	}
}

// Delete refuses a folder that gained an entry after the emptiness check:
// the folder's eTag sent as If-Match no longer matches.
func TestDeleteRaceKeepsNewEntry(t *testing.T) {
	e := setup(t, Config{})
	if err := e.b.Mkdir(t.Context(), "/d"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	e.rec.hook = func(req *http.Request) (*http.Response, error, bool) {
		if req.Method != http.MethodDelete {
			return nil, nil, false
		}
		// Another client adds an entry right before the DELETE.
		var err error
		once.Do(func() { _, err = e.b.Put(context.Background(), "/d/new", strings.NewReader("x"), 1) })
		return nil, err, err != nil
	}
	err := e.b.Delete(t.Context(), "/d")
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("Delete: %v, want ErrExist", err)
	}
	e.want(t, "/d/new", []byte("x"))
}
