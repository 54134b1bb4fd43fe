package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/docuvault/docuvault/api"
	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/backends/s3"
	dav "github.com/docuvault/docuvault/backends/webdav"
	"github.com/docuvault/docuvault/davfs"
	"github.com/docuvault/docuvault/secret"
	"github.com/docuvault/docuvault/storage"
	"github.com/docuvault/docuvault/store"
)

// clock is a settable time source shared with the server's goroutines.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// signingKey is the test servers' JWT key, so tests can forge tokens.
var signingKey = []byte("test-signing-key-0123456789abcdef")

// server is the API and WebDAV on one httptest server on 127.0.0.1, wired
// as cmd/docuvault does.
type server struct {
	t       *testing.T
	url     string
	st      *store.Store
	api     *api.API
	opener  *storage.Opener
	clock   *clock
	keys    *secret.Keyring
	hasher  *auth.Hasher
	limiter *auth.Limiter
}

type options struct {
	noKeys      bool          // no encryption key: 2FA unavailable
	limiter     *auth.Limiter // nil: the default
	deleteCalls *[]int64
	// oauth configures OAuth providers, opened by their drivers.
	oauth   map[string]*storage.OAuthProvider
	drivers map[string]func(ctx context.Context, s storage.Spec) (backends.Backend, error)
}

func newServer(t *testing.T, st *store.Store, o ...options) *server {
	t.Helper()
	var opt options
	if len(o) > 0 {
		opt = o[0]
	}
	s := &server{t: t, st: st, clock: &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)},
		hasher: auth.NewHasher(auth.Params{Memory: 64, Time: 1, Threads: 1}, 0), limiter: opt.limiter}
	if s.limiter == nil {
		s.limiter = auth.NewLimiter()
	}
	if !opt.noKeys {
		k := make([]byte, 32)
		rand.Read(k)
		keys, err := secret.NewKeyring(base64.StdEncoding.EncodeToString(k))
		if err != nil {
			t.Fatal(err)
		}
		s.keys = keys
	}
	s.opener = &storage.Opener{DataDir: t.TempDir(), Store: st, Keys: s.keys, Drivers: drivers(), OAuth: opt.oauth, Now: s.clock.Now}
	for k, d := range opt.drivers {
		s.opener.Drivers[k] = d
	}
	cfg := api.Config{Store: st, Hasher: s.hasher, SigningKey: signingKey, Limiter: s.limiter, Keys: s.keys,
		Storage: s.opener, Now: s.clock.Now}
	if opt.deleteCalls != nil {
		cfg.DeleteUserData = func(_ context.Context, u store.User) error {
			*opt.deleteCalls = append(*opt.deleteCalls, u.ID)
			return nil
		}
	}
	a, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.api = a
	dav := &davfs.Handler{Prefix: "/dav", Store: st,
		Auth:    &auth.Basic{Users: st, Hasher: s.hasher, Limiter: s.limiter, Now: s.clock.Now, Bearer: a.Bearer()},
		Backend: s.opener.For}
	mux := http.NewServeMux()
	mux.Handle(api.Prefix+"/", a)
	mux.Handle("/dav/", dav)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "the web UI") })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// addUser creates an account directly in the store.
func (s *server) addUser(name, password string, admin bool) store.User {
	s.t.Helper()
	hash, err := s.hasher.Hash(context.Background(), password)
	if err != nil {
		s.t.Fatal(err)
	}
	u, err := s.st.CreateUser(context.Background(), name, hash, admin)
	if err != nil {
		s.t.Fatal(err)
	}
	return u
}

// reply is a finished response.
type reply struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
	cookie *http.Cookie // the refresh cookie set, if any
}

// code is the error code of an error reply.
func (r reply) code() string {
	e, _ := r.json["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// message is the message of an error reply.
func (r reply) message() string {
	e, _ := r.json["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

func (r reply) str(key string) string {
	v, _ := r.json[key].(string)
	return v
}

// req describes a request; body is sent as JSON unless raw is set.
type req struct {
	method, path string
	token        string // bearer token
	body         any
	raw          *string
	contentType  string // default application/json with a body
	refresh      string // refresh cookie value
	header       map[string]string
}

func (s *server) do(t *testing.T, q req) reply {
	t.Helper()
	var rd io.Reader
	switch {
	case q.raw != nil:
		rd = strings.NewReader(*q.raw)
	case q.body != nil:
		b, err := json.Marshal(q.body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	path := q.path
	if !strings.HasPrefix(path, "/dav") {
		path = api.Prefix + path
	}
	r, err := http.NewRequest(q.method, s.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		ct := q.contentType
		if ct == "" {
			ct = "application/json"
		}
		r.Header.Set("Content-Type", ct)
	}
	if q.token != "" {
		r.Header.Set("Authorization", "Bearer "+q.token)
	}
	if q.refresh != "" {
		r.AddCookie(&http.Cookie{Name: "dv_refresh", Value: q.refresh})
	}
	for k, v := range q.header {
		r.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", q.method, q.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := reply{status: resp.StatusCode, header: resp.Header, body: b}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &out.json); err != nil {
			t.Fatalf("%s %s: the JSON answer does not parse: %v\n%s", q.method, q.path, err, b)
		}
	}
	for _, c := range resp.Cookies() {
		if c.Name == "dv_refresh" {
			out.cookie = c
		}
	}
	if out.status >= 400 && !strings.HasPrefix(q.path, "/dav") {
		checkErrorShape(t, q, out)
	}
	return out
}

// checkErrorShape checks every API error is {"error":{"code","message"}}
// and nothing else.
func checkErrorShape(t *testing.T, q req, r reply) {
	t.Helper()
	e, ok := r.json["error"].(map[string]any)
	if len(r.json) != 1 || !ok || len(e) != 2 || r.code() == "" || e["message"] == "" {
		t.Errorf("%s %s: %d answer is not the error shape: %s", q.method, q.path, r.status, r.body)
	}
}

// want fails the test unless r has the status (and the error code).
func want(t *testing.T, r reply, status int, code ...string) {
	t.Helper()
	if r.status != status || (len(code) > 0 && r.code() != code[0]) {
		t.Fatalf("got %d %s, want %d %v", r.status, r.body, status, code)
	}
}

// session is a signed-in client: its access token and refresh cookie.
type session struct {
	access, refresh string
}

func (s *server) signin(t *testing.T, login, password string) session {
	t.Helper()
	r := s.do(t, req{method: "POST", path: "/auth/signin", body: map[string]string{"login": login, "password": password}})
	want(t, r, http.StatusOK)
	if r.str("access_token") == "" || r.cookie == nil {
		t.Fatalf("sign-in answered no tokens: %s", r.body)
	}
	return session{access: r.str("access_token"), refresh: r.cookie.Value}
}

func (s *server) refreshWith(t *testing.T, cookie string) reply {
	t.Helper()
	return s.do(t, req{method: "POST", path: "/auth/refresh", refresh: cookie, header: map[string]string{"X-Requested-With": "XMLHttpRequest"}})
}

// code returns the TOTP code of secret at the server's time plus d.
func (s *server) totpCode(t *testing.T, secret string, d time.Duration) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, s.clock.Now().Add(d))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enable2FA turns TOTP on for the session's user and returns the secret
// and recovery codes.
func (s *server) enable2FA(t *testing.T, ss session, password string) (string, []string) {
	t.Helper()
	r := s.do(t, req{method: "POST", path: "/account/totp/enroll", token: ss.access, body: map[string]string{"password": password}})
	want(t, r, http.StatusOK)
	secret := r.str("secret")
	r = s.do(t, req{method: "POST", path: "/account/totp/confirm", token: ss.access, body: map[string]string{"code": s.totpCode(t, secret, 0)}})
	want(t, r, http.StatusOK)
	var codes []string
	for _, c := range r.json["recovery_codes"].([]any) {
		codes = append(codes, c.(string))
	}
	return secret, codes
}

func ptr[T any](v T) *T { return &v }

// davAs sends a WebDAV request with Basic credentials.
func (s *server) davAs(t *testing.T, user, pass, method, path, body string, hdr map[string]string) reply {
	t.Helper()
	return s.dav(t, method, path, body, hdr, func(r *http.Request) { r.SetBasicAuth(user, pass) })
}

// davBearer sends a WebDAV request with an access token, as the web UI does.
func (s *server) davBearer(t *testing.T, token, method, path, body string, hdr map[string]string) reply {
	t.Helper()
	return s.dav(t, method, path, body, hdr, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) })
}

func (s *server) dav(t *testing.T, method, path, body string, hdr map[string]string, authorize func(*http.Request)) reply {
	t.Helper()
	r, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	authorize(r)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// signin2FA completes a sign-in with a TOTP code.
func (s *server) signin2FA(t *testing.T, challenge, code string) session {
	t.Helper()
	r := s.do(t, req{method: "POST", path: "/auth/signin/2fa", body: map[string]string{"challenge": challenge, "code": code}})
	want(t, r, http.StatusOK)
	return session{access: r.str("access_token"), refresh: r.cookie.Value}
}

// drivers opens the remote kinds as cmd/docuvault does.
func drivers() map[string]func(ctx context.Context, s storage.Spec) (backends.Backend, error) {
	return map[string]func(ctx context.Context, s storage.Spec) (backends.Backend, error){
		storage.S3: func(ctx context.Context, s storage.Spec) (backends.Backend, error) {
			return s3.New(ctx, s3.Config{Endpoint: s.Endpoint, Region: s.Region, Bucket: s.Bucket, Prefix: s.Prefix,
				AccessKey: s.AccessKey, SecretKey: s.Secrets["secret_key"], UseTLS: s.UseTLS})
		},
		storage.WebDAV: func(_ context.Context, s storage.Spec) (backends.Backend, error) {
			return dav.New(dav.Config{URL: s.URL, Username: s.Username, Password: s.Secrets["password"], Nextcloud: s.Nextcloud})
		},
	}
}
