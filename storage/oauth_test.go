package storage_test

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/internal/oauthtest"
	"github.com/docuvault/docuvault/secret"
	"github.com/docuvault/docuvault/storage"
	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

// clock is a settable time source.
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

func provider(kind string, fake *oauthtest.Server) *storage.OAuthProvider {
	p := &storage.OAuthProvider{Kind: kind, Name: kind, ClientID: fake.ClientID(), ClientSecret: fake.ClientSecret(),
		AuthURL: fake.AuthURL, TokenURL: fake.TokenURL, APIURL: fake.APIURL, RedirectURL: "http://127.0.0.1/callback"}
	if kind == storage.GDrive {
		p.RevokeURL = fake.RevokeURL
	}
	return p
}

// consent runs the browser's part of a flow against the fake and
// exchanges the code, as the API's callback does.
func consent(t *testing.T, p *storage.OAuthProvider, now time.Time) *oauth2.Token {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(p.AuthCodeURL("state-1", verifier))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || back.Query().Get("state") != "state-1" {
		t.Fatalf("authorize redirected to %q", resp.Header.Get("Location"))
	}
	if _, err := p.Exchange(t.Context(), back.Query().Get("code"), oauth2.GenerateVerifier(), now); err == nil {
		t.Fatal("the code was exchanged with another flow's verifier")
	}
	// The fake spends a code on any attempt: start again.
	resp, err = c.Get(p.AuthCodeURL("state-2", verifier))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, _ = url.Parse(resp.Header.Get("Location"))
	tok, err := p.Exchange(t.Context(), back.Query().Get("code"), verifier, now)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Expiry.Equal(now.Add(time.Hour)) || tok.RefreshToken == "" {
		t.Fatalf("token expiry %v (want now + 1 h by the given clock), refresh token %q", tok.Expiry, tok.RefreshToken)
	}
	return tok
}

// replica is one server process: its own connection pool and opener.
func replica(t *testing.T, url string, keys *secret.Keyring, p *storage.OAuthProvider, fake *oauthtest.Server, dir string, now func() time.Time) *storage.Opener {
	t.Helper()
	st, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return &storage.Opener{DataDir: dir, Store: st, Keys: keys, Now: now,
		OAuth:   map[string]*storage.OAuthProvider{p.Kind: p},
		Drivers: map[string]func(context.Context, storage.Spec) (backends.Backend, error){p.Kind: fake.Driver(dir)}}
}

func TestOAuthTokenLifecycle(t *testing.T) {
	for _, d := range storetest.Dialects {
		for _, kind := range []string{storage.OneDrive, storage.GDrive} {
			t.Run(string(d)+"/"+kind, func(t *testing.T) {
				ctx := t.Context()
				clk := &clock{t: time.Now()}
				fake := oauthtest.New(t, oauthtest.Config{Now: clk.Now})
				p := provider(kind, fake)
				keys := keyring(t)
				url, dir := storetest.URL(t, d), t.TempDir()
				a := replica(t, url, keys, p, fake, dir, clk.Now)
				b := replica(t, url, keys, p, fake, dir, clk.Now)
				u, err := a.Store.CreateUser(ctx, "ann", "hash", false)
				if err != nil {
					t.Fatal(err)
				}

				spec, err := p.NewSpec(ctx, consent(t, p, clk.Now()))
				if err != nil {
					t.Fatal(err)
				}
				if kind == storage.GDrive && (spec.RootID == "" || fake.Folders() != 1) {
					t.Fatalf("root_id %q, %d folders created", spec.RootID, fake.Folders())
				}
				if err := storage.Apply(ctx, a.Store, a, u, "/Cloud", spec, true); err != nil {
					t.Fatal(err)
				}
				sealed := func(t *testing.T) string {
					t.Helper()
					rows, _ := a.Store.Storages(ctx, u.ID)
					if len(rows) != 1 || !strings.HasPrefix(rows[0].Secrets, "dv1:") {
						t.Fatalf("rows %+v", rows)
					}
					for _, tok := range fake.Issued() {
						if strings.Contains(rows[0].Secrets+rows[0].Config, tok) {
							t.Fatalf("the row holds %.8s… in plaintext", tok)
						}
					}
					return rows[0].Secrets
				}
				before := sealed(t)

				// Both replicas open the storage and use it with the first token.
				list := func(t *testing.T, o *storage.Opener) error {
					t.Helper()
					ns, err := o.For(ctx, u)
					if err != nil {
						t.Fatal(err)
					}
					_, err = ns.List(ctx, "/Cloud")
					return err
				}
				for _, o := range []*storage.Opener{a, b} {
					if err := list(t, o); err != nil {
						t.Fatal(err)
					}
				}
				if fake.Refreshes() != 0 {
					t.Fatal("refreshed a fresh token")
				}
				refused := len(fake.TokenErrors()) // consent's wrong verifier

				t.Run("two replicas refresh once", func(t *testing.T) {
					clk.Add(59 * time.Minute) // within RefreshEarly of expiry
					var wg sync.WaitGroup
					errs := make([]error, 8)
					for i := range errs {
						o := []*storage.Opener{a, b}[i%2]
						wg.Go(func() { errs[i] = list(t, o) })
					}
					wg.Wait()
					if err := errors.Join(errs...); err != nil {
						t.Fatal(err)
					}
					if n := fake.Refreshes(); n != 1 {
						t.Fatalf("the token endpoint saw %d refreshes, want 1", n)
					}
					if after := sealed(t); after == before {
						t.Fatal("the refreshed token was not saved")
					}
				})

				t.Run("the saved refresh token rotates on", func(t *testing.T) {
					clk.Add(time.Hour)
					for _, o := range []*storage.Opener{b, a} {
						if err := list(t, o); err != nil {
							t.Fatal(err)
						}
					}
					if n := fake.Refreshes(); n != 2 {
						t.Fatalf("%d refreshes, want 2", n)
					}
					if errs := fake.TokenErrors()[refused:]; len(errs) != 0 {
						t.Fatalf("the token endpoint refused %v (a rotated refresh token used again?)", errs)
					}
				})

				t.Run("a refused refresh token asks to reconnect", func(t *testing.T) {
					if kind != storage.GDrive {
						t.Skip("only the Google fake has a revoke endpoint")
					}
					rows, _ := a.Store.Storages(ctx, u.ID)
					s, _ := storage.SpecOf(rows[0], keys)
					tok, _ := storage.TokenOf(s)
					if err := p.Revoke(ctx, tok); err != nil {
						t.Fatal(err)
					}
					clk.Add(time.Hour)
					err := list(t, a)
					var re *oauth2.RetrieveError
					if !errors.Is(err, storage.ErrReconnect) || !errors.Is(err, fs.ErrPermission) || !errors.As(err, &re) {
						t.Fatalf("List with a revoked grant: %v", err)
					}
				})

				t.Run("disconnect revokes the grant", func(t *testing.T) {
					revoked := len(fake.Revoked())
					if err := storage.Remove(ctx, b.Store, b, u, "/Cloud"); err != nil {
						t.Fatal(err)
					}
					if rows, _ := a.Store.Storages(ctx, u.ID); len(rows) != 0 {
						t.Fatalf("rows after removing: %+v", rows)
					}
					want := revoked
					if kind == storage.GDrive {
						want++
					}
					if got := len(fake.Revoked()); got != want {
						t.Fatalf("%d revocations, want %d", got, want)
					}
				})
			})
		}
	}
}

func TestOAuthRevokeKeepsSharedGrant(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		clk := &clock{t: time.Now()}
		fake := oauthtest.New(t, oauthtest.Config{Now: clk.Now})
		p := provider(storage.GDrive, fake)
		dir := t.TempDir()
		o := &storage.Opener{DataDir: dir, Store: st, Keys: keyring(t), Now: clk.Now,
			OAuth:   map[string]*storage.OAuthProvider{storage.GDrive: p},
			Drivers: map[string]func(context.Context, storage.Spec) (backends.Backend, error){storage.GDrive: fake.Driver(dir)}}
		u, _ := st.CreateUser(ctx, "ann", "hash", false)
		for _, m := range []string{"/A", "/B"} {
			spec, err := p.NewSpec(ctx, consent(t, p, clk.Now()))
			if err != nil {
				t.Fatal(err)
			}
			if err := storage.Apply(ctx, st, o, u, m, spec, true); err != nil {
				t.Fatal(err)
			}
		}
		if err := storage.Remove(ctx, st, o, u, "/A"); err != nil {
			t.Fatal(err)
		}
		if n := len(fake.Revoked()); n != 0 {
			t.Fatalf("revoked %d tokens while another Google Drive storage remains", n)
		}
		// Replacing the last one by another kind revokes it.
		if err := storage.Apply(ctx, st, o, u, "/B", storage.Spec{Kind: storage.Local, Dir: t.TempDir()}, true); err != nil {
			t.Fatal(err)
		}
		if n := len(fake.Revoked()); n != 1 {
			t.Fatalf("revoked %d tokens after replacing the last Google Drive storage, want 1", n)
		}
	})
}

func TestOAuthProviderFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		u, _ := st.CreateUser(ctx, "ann", "hash", false)
		spec := storage.Spec{Kind: storage.OneDrive, Secrets: map[string]string{"token": `{"access_token":"a","refresh_token":"r"}`}}
		keys := keyring(t)
		t.Run("a kind without its provider is not opened", func(t *testing.T) {
			o := &storage.Opener{DataDir: t.TempDir(), Store: st, Keys: keys,
				Drivers: map[string]func(context.Context, storage.Spec) (backends.Backend, error){
					storage.OneDrive: func(context.Context, storage.Spec) (backends.Backend, error) { return nil, errors.New("unreachable") }}}
			row, err := storage.Row(u.ID, "/X", spec, keys)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.PutStorage(ctx, row); err != nil {
				t.Fatal(err)
			}
			if _, err := o.For(ctx, u); err == nil || !strings.Contains(err.Error(), "not configured") {
				t.Fatalf("For: %v", err)
			}
		})
	})
}

func TestOAuthSpecs(t *testing.T) {
	token := map[string]string{"token": `{"refresh_token":"r"}`}
	for name, s := range map[string]storage.Spec{
		"onedrive": {Kind: storage.OneDrive, Secrets: token},
		"gdrive":   {Kind: storage.GDrive, RootID: "abc", Secrets: token},
	} {
		if err := s.Validate("/"); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, s := range map[string]storage.Spec{
		"onedrive without token": {Kind: storage.OneDrive},
		"gdrive without root_id": {Kind: storage.GDrive, Secrets: token},
		"root_id on onedrive":    {Kind: storage.OneDrive, RootID: "abc", Secrets: token},
		"root_id on s3":          {Kind: storage.S3, Endpoint: "m:9000", Bucket: "b", AccessKey: "a", RootID: "x", Secrets: map[string]string{"secret_key": "s"}},
	} {
		if err := s.Validate("/"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}

	t.Run("scopes", func(t *testing.T) {
		for _, c := range []struct {
			kind, api string
			want      []string
		}{
			{storage.OneDrive, "https://graph.microsoft.com/v1.0", []string{"offline_access", "Files.ReadWrite"}},
			{storage.OneDrive, "https://graph.microsoft.us/v1.0", []string{"offline_access", "https://graph.microsoft.us/Files.ReadWrite"}},
			{storage.GDrive, "https://www.googleapis.com", []string{"https://www.googleapis.com/auth/drive.file"}},
		} {
			p := storage.OAuthProvider{Kind: c.kind, APIURL: c.api}
			if got := p.Scopes(); !slices.Equal(got, c.want) {
				t.Errorf("%s at %s: scopes %v, want %v", c.kind, c.api, got, c.want)
			}
		}
	})

	t.Run("the token is sealed with the rest of the secrets", func(t *testing.T) {
		keys := keyring(t)
		row, err := storage.Row(7, "/X", storage.Spec{Kind: storage.GDrive, RootID: "abc", Secrets: token}, keys)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(row.Secrets+row.Config, "refresh_token") || !strings.Contains(row.Config, `"root_id":"abc"`) {
			t.Fatalf("row %+v", row)
		}
		back, err := storage.SpecOf(row, keys)
		if err != nil {
			t.Fatal(err)
		}
		if tok, err := storage.TokenOf(back); err != nil || tok.RefreshToken != "r" {
			t.Fatalf("token %+v, %v", tok, err)
		}
	})
}

func TestAppFolderFoundAgain(t *testing.T) {
	fake := oauthtest.New(t, oauthtest.Config{})
	p := provider(storage.GDrive, fake)
	var ids []string
	for range 2 {
		s, err := p.NewSpec(t.Context(), consent(t, p, time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, s.RootID)
	}
	if ids[0] == "" || ids[0] != ids[1] || fake.Folders() != 1 {
		t.Fatalf("folder ids %v, %d created", ids, fake.Folders())
	}
}

// A driver whose API refused a token that the clock calls good invalidates
// it: the next Token refreshes.
func TestOAuthInvalidate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		clk := &clock{t: time.Now()}
		fake := oauthtest.New(t, oauthtest.Config{Now: clk.Now})
		p := provider(storage.OneDrive, fake)
		var sources []oauth2.TokenSource
		dir := t.TempDir()
		stub := fake.Driver(dir)
		o := &storage.Opener{DataDir: dir, Store: st, Keys: keyring(t), Now: clk.Now,
			OAuth: map[string]*storage.OAuthProvider{storage.OneDrive: p},
			Drivers: map[string]func(context.Context, storage.Spec) (backends.Backend, error){
				storage.OneDrive: func(ctx context.Context, s storage.Spec) (backends.Backend, error) {
					sources = append(sources, s.TokenSource)
					return stub(ctx, s)
				}}}
		u, _ := st.CreateUser(ctx, "ann", "hash", false)
		spec, err := p.NewSpec(ctx, consent(t, p, clk.Now()))
		if err != nil {
			t.Fatal(err)
		}
		if err := storage.Apply(ctx, st, o, u, "/OD", spec, true); err != nil {
			t.Fatal(err)
		}
		if _, err := o.For(ctx, u); err != nil {
			t.Fatal(err)
		}
		ts := sources[len(sources)-1]
		first, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := ts.Token(); again.AccessToken != first.AccessToken || fake.Refreshes() != 0 {
			t.Fatal("a good token was replaced")
		}
		inv, ok := ts.(interface{ Invalidate() })
		if !ok {
			t.Fatal("the token source has no Invalidate")
		}
		inv.Invalidate()
		next, err := ts.Token()
		if err != nil || next.AccessToken == first.AccessToken || fake.Refreshes() != 1 {
			t.Fatalf("after Invalidate: %v, same token %v, %d refreshes", err, next != nil && next.AccessToken == first.AccessToken, fake.Refreshes())
		}
		// Drivers that cache tokens by Expiry come back when this source
		// would refresh.
		if want := clk.Now().Add(time.Hour - storage.RefreshEarly); !next.Expiry.Equal(want) {
			t.Fatalf("expiry handed out %v, want %v", next.Expiry, want)
		}
	})
}
