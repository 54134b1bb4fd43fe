package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docuvault/docuvault/api"
	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/backends/gdrive"
	"github.com/docuvault/docuvault/backends/gdrive/drivefake"
	"github.com/docuvault/docuvault/backends/onedrive"
	"github.com/docuvault/docuvault/backends/onedrive/graphfake"
	"github.com/docuvault/docuvault/internal/oauthtest"
	"github.com/docuvault/docuvault/storage"
	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

// oauthSetup is a server with OneDrive and Google Drive connected to one
// fake authorization server each, whose drivers are oauthtest stand-ins.
type oauthSetup struct {
	*server
	fakes map[string]*oauthtest.Server
}

func newOAuthServer(t *testing.T, st *store.Store) *oauthSetup {
	t.Helper()
	var s *server
	now := func() time.Time { return s.clock.Now() }
	od := oauthtest.New(t, oauthtest.Config{ClientID: "od-client", ClientSecret: "od-Client-Secret-77aa", Now: now})
	gd := oauthtest.New(t, oauthtest.Config{ClientID: "gd-client", ClientSecret: "gd-Client-Secret-88bb", Now: now})
	providers := map[string]*storage.OAuthProvider{
		storage.OneDrive: {Kind: storage.OneDrive, Name: "OneDrive", ClientID: od.ClientID(), ClientSecret: od.ClientSecret(),
			AuthURL: od.AuthURL, TokenURL: od.TokenURL, APIURL: od.APIURL},
		storage.GDrive: {Kind: storage.GDrive, Name: "Google Drive", ClientID: gd.ClientID(), ClientSecret: gd.ClientSecret(),
			AuthURL: gd.AuthURL, TokenURL: gd.TokenURL, APIURL: gd.APIURL, RevokeURL: gd.RevokeURL},
	}
	dir := t.TempDir()
	s = newServer(t, st, options{oauth: providers, drivers: map[string]func(context.Context, storage.Spec) (backends.Backend, error){
		storage.OneDrive: od.Driver(filepath.Join(dir, "od")), storage.GDrive: gd.Driver(filepath.Join(dir, "gd")),
	}})
	s.clock.t = time.Now() // the fakes' tokens expire by it
	for k, p := range providers {
		p.RedirectURL = s.url + api.Prefix + "/storage/" + k + "/callback"
	}
	return &oauthSetup{server: s, fakes: map[string]*oauthtest.Server{storage.OneDrive: od, storage.GDrive: gd}}
}

// browser is a user's browser: it keeps cookies and follows no redirect,
// so each step can be checked.
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// connect asks the server to start a flow; it returns the answer.
func (b *browser) connect(s *server, token, provider string, body any) (*http.Response, map[string]any) {
	b.t.Helper()
	raw, _ := json.Marshal(body)
	r, _ := http.NewRequest("POST", s.url+api.Prefix+"/storage/"+provider+"/connect", bytes.NewReader(raw))
	r.Header.Set("Content-Type", "application/json")
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := b.c.Do(r)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp, out
}

// start connects and returns the authorization URL.
func (b *browser) start(s *server, token, provider, mount string) string {
	b.t.Helper()
	resp, out := b.connect(s, token, provider, map[string]string{"mount": mount})
	u, _ := out["url"].(string)
	if resp.StatusCode != http.StatusOK || u == "" {
		b.t.Fatalf("connect %s: %d %v", provider, resp.StatusCode, out)
	}
	return u
}

// redirect GETs u and returns where it redirects to.
func (b *browser) redirect(u string) string {
	b.t.Helper()
	resp, err := b.c.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		b.t.Fatalf("GET %s: %d, want a redirect", u, resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

// connectAll runs a whole flow and returns where the callback sends the
// browser.
func (b *browser) connectAll(s *server, token, provider, mount string) string {
	b.t.Helper()
	return b.redirect(b.redirect(b.start(s, token, provider, mount)))
}

func TestOAuthConnect(t *testing.T) {
	eachDumpable(t, func(t *testing.T, st *store.Store, dump func() string) {
		s := newOAuthServer(t, st)
		s.addUser("ann", "ann-password", false)
		// The tests move the clock by hours: each call signs in anew.
		access := func(t *testing.T) string { return s.signin(t, "ann", "ann-password").access }
		mounts := func(t *testing.T) map[string]map[string]any {
			t.Helper()
			return storagesOf(t, s.do(t, req{method: "GET", path: "/storage", token: access(t)}))
		}
		dav := func(t *testing.T, method, path, body string, status int) reply {
			t.Helper()
			var hdr map[string]string
			if method == "PROPFIND" {
				hdr = map[string]string{"Depth": "1"}
			}
			r := s.davAs(t, "ann", "ann-password", method, path, body, hdr)
			if r.status != status {
				t.Fatalf("%s %s: %d %s, want %d", method, path, r.status, r.body, status)
			}
			return r
		}

		t.Run("providers", func(t *testing.T) {
			r := s.do(t, req{method: "GET", path: "/storage/providers", token: access(t)})
			want(t, r, http.StatusOK)
			if got := strings.TrimSpace(string(r.body)); got != `{"providers":[{"id":"onedrive","name":"OneDrive"},{"id":"gdrive","name":"Google Drive"}]}` {
				t.Fatalf("providers %s", got)
			}
			want(t, s.do(t, req{method: "GET", path: "/storage/providers"}), http.StatusUnauthorized, "unauthorized")
		})

		for _, tc := range []struct {
			provider, mount string
			scope           string
			revokes         bool
		}{
			// The fake's API is not graph.microsoft.com: the scope names its host.
			{storage.OneDrive, "/OneDrive", "offline_access " + s.fakes[storage.OneDrive].URL + "/Files.ReadWrite", false},
			{storage.GDrive, "/Drive", "https://www.googleapis.com/auth/drive.file", true},
		} {
			fake := s.fakes[tc.provider]
			t.Run(tc.provider, func(t *testing.T) {
				b := newBrowser(t)
				resp, out := b.connect(s.server, access(t), tc.provider, map[string]string{"mount": tc.mount})
				want(t, reply{status: resp.StatusCode}, http.StatusOK)
				var ck *http.Cookie
				for _, c := range resp.Cookies() {
					if c.Name == "dv_oauth" {
						ck = c
					}
				}
				if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.MaxAge != 600 ||
					ck.Path != api.Prefix+"/storage/"+tc.provider+"/callback" {
					t.Fatalf("flow cookie %+v", ck)
				}
				authURL, _ := url.Parse(out["url"].(string))
				q := authURL.Query()
				if !strings.HasPrefix(authURL.String(), fake.AuthURL+"?") || q.Get("code_challenge_method") != "S256" ||
					q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("response_type") != "code" ||
					q.Get("scope") != tc.scope || q.Get("redirect_uri") != s.url+api.Prefix+"/storage/"+tc.provider+"/callback" {
					t.Fatalf("authorization URL %s", authURL)
				}
				if tc.provider == storage.GDrive && (q.Get("access_type") != "offline" || q.Get("prompt") != "consent") {
					t.Fatalf("Google is not asked for a refresh token: %s", authURL)
				}
				callback := b.redirect(authURL.String())
				if got := b.redirect(callback); got != "/storage?connected="+tc.provider {
					t.Fatalf("callback redirects to %q", got)
				}

				m := mounts(t)[tc.mount]
				if m == nil || m["kind"] != tc.provider || m["secret_set"] != true {
					t.Fatalf("storage after connecting: %v", m)
				}
				d := dump()
				for _, tok := range append(fake.Issued(), fake.ClientSecret(), q.Get("state")) {
					if strings.Contains(d, tok) {
						t.Fatalf("the database holds %.8s… in plaintext", tok)
					}
				}

				dav(t, "PUT", "/dav"+tc.mount+"/hello.txt", "hello", http.StatusCreated)
				if r := dav(t, "GET", "/dav"+tc.mount+"/hello.txt", "", http.StatusOK); string(r.body) != "hello" {
					t.Fatalf("GET = %q", r.body)
				}

				t.Run("replayed callback", func(t *testing.T) {
					if got := b.redirect(callback); got != "/storage?error=invalid_state" {
						t.Fatalf("replay redirects to %q", got)
					}
				})

				t.Run("the token is refreshed once after it expires", func(t *testing.T) {
					s.clock.Add(59 * time.Minute) // within RefreshEarly of the hour
					dav(t, "GET", "/dav"+tc.mount+"/hello.txt", "", http.StatusOK)
					dav(t, "PROPFIND", "/dav"+tc.mount+"/", "", http.StatusMultiStatus)
					if n := fake.Refreshes(); n != 1 {
						t.Fatalf("%d refreshes, want 1", n)
					}
					s.clock.Add(time.Hour) // the saved refresh token works in turn
					dav(t, "GET", "/dav"+tc.mount+"/hello.txt", "", http.StatusOK)
					if n := fake.Refreshes(); n != 2 {
						t.Fatalf("%d refreshes, want 2", n)
					}
					d := dump()
					for _, tok := range fake.Issued() {
						if strings.Contains(d, tok) {
							t.Fatalf("the database holds %.8s… in plaintext", tok)
						}
					}
				})

				if tc.provider == storage.GDrive {
					t.Run("reconnecting finds the folder and revokes nothing", func(t *testing.T) {
						if got := newBrowser(t).connectAll(s.server, access(t), tc.provider, tc.mount); got != "/storage?connected=gdrive" {
							t.Fatalf("reconnect: %q", got)
						}
						if fake.Folders() != 1 || len(fake.Revoked()) != 0 {
							t.Fatalf("%d folders, revoked %v", fake.Folders(), fake.Revoked())
						}
						dav(t, "GET", "/dav"+tc.mount+"/hello.txt", "", http.StatusOK)
					})
				}

				t.Run("disconnect", func(t *testing.T) {
					want(t, s.do(t, req{method: "DELETE", path: "/storage?mount=" + tc.mount, token: access(t)}), http.StatusNoContent)
					if mounts(t)[tc.mount] != nil {
						t.Fatal("still mounted")
					}
					if revoked := fake.Revoked(); tc.revokes != (len(revoked) == 1) {
						t.Fatalf("revoked %d tokens, want revoking %v", len(revoked), tc.revokes)
					}
					dav(t, "GET", "/dav"+tc.mount+"/hello.txt", "", http.StatusNotFound)
				})
			})
		}

		t.Run("deleting the user revokes", func(t *testing.T) {
			bob := s.addUser("bob", "bob-password", false)
			s.addUser("root", "root-password", true)
			bobToken := s.signin(t, "bob", "bob-password").access
			fake := s.fakes[storage.GDrive]
			if got := newBrowser(t).connectAll(s.server, bobToken, storage.GDrive, "/"); got != "/storage?connected=gdrive" {
				t.Fatalf("connect: %q", got)
			}
			before := len(fake.Revoked())
			admin := s.signin(t, "root", "root-password").access
			want(t, s.do(t, req{method: "DELETE", path: "/admin/users/" + itoa(bob.ID), token: admin}), http.StatusNoContent)
			if n := len(fake.Revoked()) - before; n != 1 {
				t.Fatalf("%d revocations", n)
			}
		})

		t.Run("kinds connected by OAuth cannot be PUT", func(t *testing.T) {
			r := s.do(t, req{method: "PUT", path: "/storage", token: access(t),
				body: map[string]any{"mount": "/X", "kind": "gdrive", "secret": `{"access_token":"x"}`}})
			want(t, r, http.StatusBadRequest, "invalid_input")
		})

		t.Run("connect refuses", func(t *testing.T) {
			b := newBrowser(t)
			for _, c := range []struct {
				name, token, provider string
				body                  any
				status                int
				code                  string
			}{
				{"no token", "", "onedrive", map[string]string{"mount": "/X"}, 401, "unauthorized"},
				{"unknown provider", access(t), "dropbox", map[string]string{"mount": "/X"}, 404, "not_found"},
				{"bad mount", access(t), "onedrive", map[string]string{"mount": "/a/b"}, 400, "invalid_input"},
				{"no mount", access(t), "onedrive", map[string]string{}, 400, "invalid_input"},
				{"unknown field", access(t), "onedrive", map[string]string{"mount": "/X", "kind": "s3"}, 400, "unknown_field"},
			} {
				resp, out := b.connect(s.server, c.token, c.provider, c.body)
				e, _ := out["error"].(map[string]any)
				if resp.StatusCode != c.status || e["code"] != c.code {
					t.Errorf("%s: %d %v, want %d %s", c.name, resp.StatusCode, out, c.status, c.code)
				}
			}
		})

		t.Run("failed callbacks save nothing", func(t *testing.T) {
			const mount = "/Failed"
			fake := s.fakes[storage.OneDrive]
			// started returns a browser in the middle of a flow and the
			// callback URL the provider sent it to.
			started := func(t *testing.T) (*browser, string) {
				b := newBrowser(t)
				return b, b.redirect(b.start(s.server, access(t), storage.OneDrive, mount))
			}
			withQuery := func(u string, kv ...string) string {
				pu, _ := url.Parse(u)
				q := pu.Query()
				for i := 0; i < len(kv); i += 2 {
					q.Set(kv[i], kv[i+1])
				}
				pu.RawQuery = q.Encode()
				return pu.String()
			}
			for _, c := range []struct {
				name string
				run  func(t *testing.T) string // the callback's redirect
				want string
			}{
				{"wrong state", func(t *testing.T) string {
					b, cb := started(t)
					return b.redirect(withQuery(cb, "state", "forged"))
				}, "invalid_state"},
				{"no state", func(t *testing.T) string {
					b, cb := started(t)
					return b.redirect(withQuery(cb, "state", ""))
				}, "invalid_state"},
				{"expired state", func(t *testing.T) string {
					b, cb := started(t)
					s.clock.Add(11 * time.Minute)
					return b.redirect(cb)
				}, "state_expired"},
				{"missing cookie", func(t *testing.T) string {
					_, cb := started(t)
					return newBrowser(t).redirect(cb)
				}, "wrong_browser"},
				{"another flow's cookie", func(t *testing.T) string {
					_, cb := started(t)
					other, _ := started(t)
					return other.redirect(cb)
				}, "wrong_browser"},
				{"another provider's state", func(t *testing.T) string {
					b, cb := started(t)
					return b.redirect(strings.Replace(cb, "/storage/onedrive/callback", "/storage/gdrive/callback", 1))
				}, "invalid_state"},
				{"declined", func(t *testing.T) string {
					fake.Deny("access_denied")
					defer fake.Deny("")
					b, cb := started(t)
					if !strings.Contains(cb, "error=access_denied") || strings.Contains(cb, "code=") {
						t.Fatalf("the provider did not refuse: %s", cb)
					}
					return b.redirect(cb)
				}, "access_denied"},
				{"provider error", func(t *testing.T) string {
					fake.Deny("temporarily_unavailable")
					defer fake.Deny("")
					b, cb := started(t)
					if !strings.Contains(cb, "error=temporarily_unavailable") || strings.Contains(cb, "code=") {
						t.Fatalf("the provider did not refuse: %s", cb)
					}
					return b.redirect(cb)
				}, "provider_error"},
				{"no code", func(t *testing.T) string {
					b, cb := started(t)
					return b.redirect(withQuery(cb, "code", ""))
				}, "provider_error"},
				{"forged code", func(t *testing.T) string {
					b, cb := started(t)
					return b.redirect(withQuery(cb, "code", "code-forged"))
				}, "exchange_failed"},
				{"another flow's code (PKCE)", func(t *testing.T) string {
					b := newBrowser(t)
					first := b.redirect(b.start(s.server, access(t), storage.OneDrive, mount))
					second := b.redirect(b.start(s.server, access(t), storage.OneDrive, mount))
					code, _ := url.Parse(first)
					return b.redirect(withQuery(second, "code", code.Query().Get("code")))
				}, "exchange_failed"},
			} {
				t.Run(c.name, func(t *testing.T) {
					if got := c.run(t); got != "/storage?error="+c.want {
						t.Fatalf("callback redirects to %q, want error %s", got, c.want)
					}
					if mounts(t)[mount] != nil {
						t.Fatal("a failed flow saved a storage")
					}
				})
			}
			if errs := fake.TokenErrors(); !slices.Contains(errs, "invalid_grant") {
				t.Fatalf("the token endpoint never refused a code: %v", errs)
			}
		})
	})
}

func TestOAuthNoProviders(t *testing.T) {
	s := newServer(t, storetest.Open(t, store.SQLite))
	s.addUser("ann", "ann-password", false)
	ann := s.signin(t, "ann", "ann-password")
	r := s.do(t, req{method: "GET", path: "/storage/providers", token: ann.access})
	want(t, r, http.StatusOK)
	if strings.TrimSpace(string(r.body)) != `{"providers":[]}` {
		t.Fatalf("providers %s", r.body)
	}
	want(t, s.do(t, req{method: "POST", path: "/storage/onedrive/connect", token: ann.access, body: map[string]string{"mount": "/X"}}),
		http.StatusNotFound, "not_found")
}

func TestOAuthConnectNeedsKey(t *testing.T) {
	p := &storage.OAuthProvider{Kind: storage.GDrive, Name: "Google Drive", ClientID: "id", ClientSecret: "secret",
		AuthURL: "http://127.0.0.1:9/authorize", TokenURL: "http://127.0.0.1:9/token"}
	s := newServer(t, storetest.Open(t, store.SQLite), options{noKeys: true, oauth: map[string]*storage.OAuthProvider{storage.GDrive: p}})
	s.addUser("ann", "ann-password", false)
	ann := s.signin(t, "ann", "ann-password")
	want(t, s.do(t, req{method: "POST", path: "/storage/gdrive/connect", token: ann.access, body: map[string]string{"mount": "/X"}}),
		http.StatusServiceUnavailable, "no_encryption_key")
}

// TestOAuthRealDrivers connects the real drivers to the Graph and Drive
// fakes, which accept the access tokens the authorization fakes issue.
func TestOAuthRealDrivers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var s *server
		now := func() time.Time { return s.clock.Now() }
		graph, drive := graphfake.New(t), drivefake.New(t)
		od := oauthtest.New(t, oauthtest.Config{Now: now, OnToken: graph.SetToken})
		gd := oauthtest.New(t, oauthtest.Config{Now: now, OnToken: drive.SetToken})
		providers := map[string]*storage.OAuthProvider{
			storage.OneDrive: {Kind: storage.OneDrive, Name: "OneDrive", ClientID: od.ClientID(), ClientSecret: od.ClientSecret(),
				AuthURL: od.AuthURL, TokenURL: od.TokenURL, APIURL: graph.URL},
			storage.GDrive: {Kind: storage.GDrive, Name: "Google Drive", ClientID: gd.ClientID(), ClientSecret: gd.ClientSecret(),
				AuthURL: gd.AuthURL, TokenURL: gd.TokenURL, APIURL: drive.URL, RevokeURL: gd.RevokeURL},
		}
		s = newServer(t, st, options{oauth: providers, drivers: map[string]func(context.Context, storage.Spec) (backends.Backend, error){
			storage.OneDrive: func(ctx context.Context, sp storage.Spec) (backends.Backend, error) {
				b, err := onedrive.New(ctx, onedrive.Config{BaseURL: graph.URL, TokenSource: sp.TokenSource})
				if err != nil {
					return nil, err
				}
				return b, nil
			},
			storage.GDrive: func(_ context.Context, sp storage.Spec) (backends.Backend, error) {
				b, err := gdrive.New(gdrive.Config{BaseURL: drive.URL, TokenSource: sp.TokenSource, RootID: sp.RootID})
				if err != nil {
					return nil, err
				}
				return b, nil
			},
		}})
		s.clock.t = time.Now()
		for k, p := range providers {
			p.RedirectURL = s.url + api.Prefix + "/storage/" + k + "/callback"
		}
		s.addUser("ann", "ann-password", false)
		access := func(t *testing.T) string { return s.signin(t, "ann", "ann-password").access }
		dav := func(t *testing.T, method, path, body string, status int) reply {
			t.Helper()
			r := s.davAs(t, "ann", "ann-password", method, path, body, nil)
			if r.status != status {
				t.Fatalf("%s %s: %d %s, want %d", method, path, r.status, r.body, status)
			}
			return r
		}
		for _, tc := range []struct {
			provider, mount string
			fake            *oauthtest.Server
		}{{storage.OneDrive, "/OneDrive", od}, {storage.GDrive, "/Drive", gd}} {
			t.Run(tc.provider, func(t *testing.T) {
				if got := newBrowser(t).connectAll(s, access(t), tc.provider, tc.mount); got != "/storage?connected="+tc.provider {
					t.Fatalf("callback redirects to %q", got)
				}
				dav(t, "PUT", "/dav"+tc.mount+"/report.txt", "quarterly", http.StatusCreated)
				if r := dav(t, "GET", "/dav"+tc.mount+"/report.txt", "", http.StatusOK); string(r.body) != "quarterly" {
					t.Fatalf("GET = %q", r.body)
				}
				s.clock.Add(59 * time.Minute)
				dav(t, "GET", "/dav"+tc.mount+"/report.txt", "", http.StatusOK)
				if n := tc.fake.Refreshes(); n != 1 {
					t.Fatalf("%d refreshes, want 1", n)
				}
				if tc.provider == storage.GDrive {
					// The drive.file folder is found again: the file is still there.
					if got := newBrowser(t).connectAll(s, access(t), tc.provider, tc.mount); got != "/storage?connected=gdrive" {
						t.Fatalf("reconnect: %q", got)
					}
					dav(t, "GET", "/dav"+tc.mount+"/report.txt", "", http.StatusOK)
				}
				want(t, s.do(t, req{method: "DELETE", path: "/storage?mount=" + tc.mount, token: access(t)}), http.StatusNoContent)
				if revoked := len(tc.fake.Revoked()); (tc.provider == storage.GDrive) != (revoked == 1) {
					t.Fatalf("%d revocations", revoked)
				}
			})
		}
	})
}
