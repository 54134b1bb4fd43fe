package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/store"
)

// Kinds connected by OAuth 2.0 from the web UI; their one secret is the
// token ("token": oauth2.Token as JSON).
const (
	OneDrive = "onedrive"
	GDrive   = "gdrive"
)

// IsOAuth reports whether storages of kind are connected by OAuth.
func IsOAuth(kind string) bool { return kind == OneDrive || kind == GDrive }

// Timing of the token lifecycle.
const (
	// RefreshEarly is how long before its expiry an access token is
	// replaced, so a request never starts with one about to lapse.
	RefreshEarly = 2 * time.Minute
	// RefreshTimeout bounds one refresh at the token endpoint. It runs
	// under the database lock; on SQLite that is the write lock, which
	// other writers wait for up to their 10 s busy timeout.
	RefreshTimeout = 8 * time.Second
)

// ErrReconnect means the provider refused the stored refresh token
// (revoked, expired, or the password changed): the user must connect the
// storage again. Token sources report it with fs.ErrPermission.
var ErrReconnect = errors.New("the connection was revoked or has expired; connect the storage again")

// AppFolder is the folder a Google Drive storage lives in: with the
// drive.file scope DocuVault sees only what it created.
const AppFolder = "DocuVault"

// OAuthProvider is the server's registration at a cloud drive's
// authorization server, and the endpoints its drivers use.
type OAuthProvider struct {
	Kind         string // OneDrive or GDrive; also the provider's id in the API
	Name         string // shown to people
	ClientID     string
	ClientSecret string
	AuthURL      string
	TokenURL     string
	// RevokeURL takes form-encoded token=… (RFC 7009, as Google's
	// endpoint); "" where the provider has none (Microsoft).
	RevokeURL string
	// APIURL is the base of the provider's REST API: Microsoft Graph
	// (https://graph.microsoft.com/v1.0) or Google's
	// (https://www.googleapis.com).
	APIURL string
	// RedirectURL is the callback registered at the provider.
	RedirectURL string
	HTTPClient  *http.Client // nil: http.DefaultClient
}

// Scopes are the permissions asked for: least privilege, and a refresh
// token. Outside Microsoft's global cloud the Graph scope names its host.
func (p *OAuthProvider) Scopes() []string {
	switch p.Kind {
	case OneDrive:
		files := "Files.ReadWrite"
		if u, err := url.Parse(p.APIURL); err == nil && u.Host != "" && u.Host != "graph.microsoft.com" {
			files = u.Scheme + "://" + u.Host + "/" + files
		}
		return []string{"offline_access", files}
	case GDrive:
		return []string{"https://www.googleapis.com/auth/drive.file"}
	}
	return nil
}

func (p *OAuthProvider) config() *oauth2.Config {
	return &oauth2.Config{ClientID: p.ClientID, ClientSecret: p.ClientSecret, RedirectURL: p.RedirectURL, Scopes: p.Scopes(),
		Endpoint: oauth2.Endpoint{AuthURL: p.AuthURL, TokenURL: p.TokenURL, AuthStyle: oauth2.AuthStyleInParams}}
}

func (p *OAuthProvider) ctx(ctx context.Context) context.Context {
	if p.HTTPClient != nil {
		return context.WithValue(ctx, oauth2.HTTPClient, p.HTTPClient)
	}
	return ctx
}

// AuthCodeURL is where the browser asks the user's consent: the code flow
// with PKCE (S256) and, for Google, a refresh token even on a repeated
// consent.
func (p *OAuthProvider) AuthCodeURL(state, verifier string) string {
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	if p.Kind == GDrive {
		opts = append(opts, oauth2.AccessTypeOffline, oauth2.ApprovalForce)
	}
	return p.config().AuthCodeURL(state, opts...)
}

// Exchange trades the callback's code for a token, proving the flow with
// its PKCE verifier. now dates the token's expiry.
func (p *OAuthProvider) Exchange(ctx context.Context, code, verifier string, now time.Time) (*oauth2.Token, error) {
	tok, err := p.config().Exchange(p.ctx(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("%s: exchanging the code: %w", p.Name, tokenError(err, false))
	}
	if tok.RefreshToken == "" {
		return nil, fmt.Errorf("%s: the token endpoint gave no refresh token", p.Name)
	}
	stampExpiry(tok, now)
	return tok, nil
}

func (p *OAuthProvider) refresh(ctx context.Context, refreshToken string, now time.Time) (*oauth2.Token, error) {
	tok, err := p.config().TokenSource(p.ctx(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, fmt.Errorf("%s: refreshing the token: %w", p.Name, tokenError(err, true))
	}
	stampExpiry(tok, now)
	return tok, nil
}

// Revoke asks the provider to end the grant of tok (its refresh token,
// else its access token). Providers without an endpoint: nothing to do.
func (p *OAuthProvider) Revoke(ctx context.Context, tok *oauth2.Token) error {
	if p.RevokeURL == "" || tok == nil {
		return nil
	}
	t := tok.RefreshToken
	if t == "" {
		t = tok.AccessToken
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.RevokeURL, strings.NewReader(url.Values{"token": {t}}.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := p.client().Do(req)
	if err != nil {
		return fmt.Errorf("%s: revoking the token: %w", p.Name, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	// 400 invalid_token: already revoked or expired, which is the goal.
	if resp.StatusCode >= 300 && resp.StatusCode != http.StatusBadRequest {
		return fmt.Errorf("%s: revoking the token: %s", p.Name, resp.Status)
	}
	return nil
}

func (p *OAuthProvider) client() *http.Client {
	if p.HTTPClient != nil {
		return p.HTTPClient
	}
	return http.DefaultClient
}

// NewSpec is the storage a fresh token connects: OneDrive's whole drive,
// or Google Drive's AppFolder, found or created.
func (p *OAuthProvider) NewSpec(ctx context.Context, tok *oauth2.Token) (Spec, error) {
	s := withToken(Spec{Kind: p.Kind}, tok)
	if p.Kind == GDrive {
		id, err := p.appFolder(ctx, tok)
		if err != nil {
			return Spec{}, fmt.Errorf("%s: the %s folder: %w", p.Name, AppFolder, err)
		}
		s.RootID = id
	}
	return s, nil
}

// appFolder returns the id of the oldest AppFolder in the drive's root
// that this app created (the only ones drive.file shows), creating one
// when there is none; a reconnect finds the files it left.
func (p *OAuthProvider) appFolder(ctx context.Context, tok *oauth2.Token) (string, error) {
	hc := oauth2.NewClient(p.ctx(ctx), oauth2.StaticTokenSource(tok))
	base := strings.TrimRight(p.APIURL, "/") + "/drive/v3/files"
	var found struct {
		Files []struct {
			ID      string    `json:"id"`
			Created time.Time `json:"createdTime"`
		} `json:"files"`
	}
	q := url.Values{"q": {"'root' in parents and name = '" + AppFolder + "' and mimeType = 'application/vnd.google-apps.folder' and trashed = false"},
		"pageSize": {"100"}, "spaces": {"drive"}, "fields": {"files(id,createdTime)"}}
	if err := driveCall(ctx, hc, http.MethodGet, base+"?"+q.Encode(), nil, &found); err != nil {
		return "", err
	}
	// Same-name folders are possible in Drive: take the oldest, then the
	// smallest id, so every reconnect picks the same one.
	id, created := "", time.Time{}
	for _, f := range found.Files {
		if f.ID != "" && (id == "" || f.Created.Before(created) || f.Created.Equal(created) && f.ID < id) {
			id, created = f.ID, f.Created
		}
	}
	if id != "" {
		return id, nil
	}
	var made struct {
		ID string `json:"id"`
	}
	body := map[string]any{"name": AppFolder, "mimeType": "application/vnd.google-apps.folder", "parents": []string{"root"}}
	if err := driveCall(ctx, hc, http.MethodPost, base+"?fields=id", body, &made); err != nil {
		return "", err
	}
	if made.ID == "" {
		return "", errors.New("the created folder has no id")
	}
	return made.ID, nil
}

func driveCall(ctx context.Context, hc *http.Client, method, u string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s", method, req.URL.Path, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out)
}

// refusedError is a refresh token the provider refused. It is
// ErrReconnect and fs.ErrPermission, and keeps the *oauth2.RetrieveError
// for drivers that look for it, without repeating the endpoint's text.
type refusedError struct{ re *oauth2.RetrieveError }

func (e *refusedError) Error() string {
	return fmt.Sprintf("%v (%.64q)", ErrReconnect, e.re.ErrorCode)
}
func (e *refusedError) Unwrap() []error { return []error{ErrReconnect, fs.ErrPermission, e.re} }

// tokenError keeps a token endpoint's error code and drops its free
// text; invalid_grant of a refresh becomes a *refusedError.
func tokenError(err error, refreshing bool) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return err
	}
	if refreshing && re.ErrorCode == "invalid_grant" {
		return &refusedError{re}
	}
	status := ""
	if re.Response != nil {
		status = re.Response.Status
	}
	return fmt.Errorf("token endpoint: %s %.64q", status, re.ErrorCode)
}

// stampExpiry dates tok's expiry from expires_in by now (the Opener's
// clock) rather than the library's.
func stampExpiry(tok *oauth2.Token, now time.Time) {
	secs := tok.ExpiresIn
	if secs == 0 {
		if s, ok := tok.Extra("expires_in").(string); ok {
			secs, _ = strconv.ParseInt(s, 10, 64)
		}
	}
	if secs > 0 {
		tok.Expiry = now.Add(time.Duration(secs) * time.Second)
	}
}

// TokenOf reads the token of an OAuth storage's opened spec.
func TokenOf(s Spec) (*oauth2.Token, error) {
	var tok oauth2.Token
	if err := json.Unmarshal([]byte(s.Secrets["token"]), &tok); err != nil || tok.RefreshToken == "" && tok.AccessToken == "" {
		return nil, fmt.Errorf("%s storage: no usable token stored", s.Kind)
	}
	return &tok, nil
}

// withToken returns s with tok as its secret.
func withToken(s Spec, tok *oauth2.Token) Spec {
	b, _ := json.Marshal(oauth2.Token{AccessToken: tok.AccessToken, TokenType: tok.TokenType,
		RefreshToken: tok.RefreshToken, Expiry: tok.Expiry})
	s.Secrets = map[string]string{"token": string(b)}
	return s
}

func (o *Opener) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// fresh reports whether tok can be used for RefreshEarly more.
func (o *Opener) fresh(tok *oauth2.Token) bool {
	return tok != nil && tok.AccessToken != "" && (tok.Expiry.IsZero() || o.now().Add(RefreshEarly).Before(tok.Expiry))
}

// provider returns the configured provider of an OAuth kind.
func (o *Opener) provider(kind string) (*OAuthProvider, error) {
	p := o.OAuth[kind]
	if p == nil {
		return nil, fmt.Errorf("storage kind %q is not configured on this server (no OAuth client)", kind)
	}
	return p, nil
}

// tokenSource gives a driver the access token of the storage at mount of
// user userID. A token about to expire is refreshed once for every
// process sharing the database: under the storage's database lock it reads
// the row again and uses a token another process saved meanwhile, else
// refreshes, seals and saves the new one (refresh tokens rotate).
type tokenSource struct {
	o      *Opener
	p      *OAuthProvider
	userID int64
	mount  string

	mu       sync.Mutex
	tok      *oauth2.Token
	rejected string // an access token the API refused (Invalidate)
}

// Invalidate is called by a driver whose API refused the last token: the
// next Token refreshes even if the clock says that token is still good.
func (ts *tokenSource) Invalidate() {
	ts.mu.Lock()
	if ts.tok != nil {
		ts.rejected = ts.tok.AccessToken
	}
	ts.mu.Unlock()
}

// usable reports whether tok can be handed out now.
func (ts *tokenSource) usable(tok *oauth2.Token) bool {
	return ts.o.fresh(tok) && tok.AccessToken != ts.rejected
}

// Token returns the access token with Expiry moved RefreshEarly ahead:
// a driver whose client caches tokens (oauth2.NewClient) asks again when
// this source would refresh.
func (ts *tokenSource) Token() (*oauth2.Token, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	tok, err := ts.current()
	if err != nil {
		return nil, err
	}
	out := *tok
	if !out.Expiry.IsZero() {
		out.Expiry = out.Expiry.Add(-RefreshEarly)
	}
	return &out, nil
}

func (ts *tokenSource) current() (*oauth2.Token, error) {
	if ts.usable(ts.tok) {
		return ts.tok, nil
	}
	// Waiting for another holder of the lock, then refreshing.
	ctx, cancel := context.WithTimeout(context.Background(), 2*RefreshTimeout)
	defer cancel()
	var next *oauth2.Token
	err := ts.o.Store.UpdateStorageSecrets(ctx, ts.userID, ts.mount, func(row store.Storage) (string, error) {
		spec, err := SpecOf(row, ts.o.Keys)
		if err != nil {
			return "", err
		}
		if spec.Kind != ts.p.Kind {
			return "", fmt.Errorf("storage %s is no longer %s", ts.mount, ts.p.Name)
		}
		cur, err := TokenOf(spec)
		if err != nil {
			return "", err
		}
		if ts.usable(cur) { // another process refreshed it
			next = cur
			return "", nil
		}
		rctx, cancel := context.WithTimeout(ctx, RefreshTimeout)
		defer cancel()
		tok, err := ts.p.refresh(rctx, cur.RefreshToken, ts.o.now())
		if err != nil {
			return "", err
		}
		// Usable even if saving it fails below (the stored refresh token
		// may then be spent: the user would have to connect again).
		next = tok
		r, err := Row(ts.userID, ts.mount, withToken(spec, tok), ts.o.Keys)
		return r.Secrets, err
	})
	if next == nil {
		switch {
		case errors.Is(err, ErrReconnect):
			return nil, err
		case errors.Is(err, store.ErrNotFound):
			err = fmt.Errorf("%s storage %s was disconnected", ts.p.Name, ts.mount)
		}
		return nil, fmt.Errorf("%w: %w", backends.ErrUnavailable, err)
	}
	ts.tok = next
	return next, nil
}

// oauthSource returns the token source OpenSpec gives the driver of the
// OAuth storage s at mount (set in open), or a source that never saves
// (a connectivity check, before the storage is stored).
func (o *Opener) oauthSource(userID int64, mount string, s Spec) (oauth2.TokenSource, error) {
	p, err := o.provider(s.Kind)
	if err != nil {
		return nil, err
	}
	tok, err := TokenOf(s)
	if err != nil {
		return nil, err
	}
	if mount == "" {
		return oauth2.StaticTokenSource(tok), nil
	}
	return &tokenSource{o: o, p: p, userID: userID, mount: mount, tok: tok}, nil
}

// revokeDropped revokes the token of row, an OAuth storage that was just
// removed or replaced by another kind. A revocation at Google ends the
// whole grant, every token of it, so nothing is revoked while the user
// keeps another storage of the same kind, which may share the grant.
func (o *Opener) revokeDropped(ctx context.Context, row store.Storage) error {
	p := o.OAuth[row.Kind]
	if p == nil || p.RevokeURL == "" || !IsOAuth(row.Kind) {
		return nil
	}
	rows, err := o.Store.Storages(ctx, row.UserID)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.Kind == row.Kind {
			return nil
		}
	}
	spec, err := SpecOf(row, o.Keys)
	if err != nil {
		return err
	}
	tok, err := TokenOf(spec)
	if err != nil {
		return err
	}
	return p.Revoke(ctx, tok)
}

// RevokeAll revokes the OAuth tokens of every storage of user userID, as
// the user is deleted (their rows go with them). Failures are joined;
// revoking what remains is still tried.
func RevokeAll(ctx context.Context, o *Opener, userID int64) error {
	rows, err := o.Store.Storages(ctx, userID)
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range rows {
		p := o.OAuth[r.Kind]
		if p == nil || p.RevokeURL == "" {
			continue
		}
		spec, err := SpecOf(r, o.Keys)
		if err == nil {
			var tok *oauth2.Token
			if tok, err = TokenOf(spec); err == nil {
				err = p.Revoke(ctx, tok)
			}
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
