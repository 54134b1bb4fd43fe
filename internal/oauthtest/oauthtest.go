// Package oauthtest is a fake OAuth 2.0 authorization server for tests, on
// 127.0.0.1, strict where a provider is strict: its authorize endpoint
// approves at once and redirects to redirect_uri with code and state; its
// token endpoint checks the client credentials, the redirect_uri and the
// PKCE code_verifier (S256 only), issues access tokens that expire by the
// test's clock and refresh tokens that rotate (a used one is refused, as
// Microsoft may); its revoke endpoint ends a whole grant, as Google's does.
// It also serves a small API under APIURL: /ping accepts a live access
// token, and /drive/v3/files lists and creates folders as the Drive API
// does for the calls DocuVault makes with the drive.file scope.
package oauthtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Config configures a Server. Zero values: client "client-id" with secret
// "client-secret", access tokens valid one hour, time.Now.
type Config struct {
	ClientID, ClientSecret string
	AccessTTL              time.Duration
	Now                    func() time.Time
	// OnToken, if set, gets every access token issued before the client
	// does: give it an API fake's SetToken, so that fake accepts it.
	OnToken func(access string)
}

// Server is a running fake authorization server.
type Server struct {
	URL       string
	AuthURL   string
	TokenURL  string
	RevokeURL string
	APIURL    string

	cfg Config
	mu  sync.Mutex
	// Deny, when set, makes the authorize endpoint answer error=Deny.
	deny      string
	codes     map[string]*codeGrant
	refresh   map[string]*grant // current refresh tokens
	access    map[string]accessToken
	issued    []string // every token and code handed out
	refreshes int
	revoked   []string
	authQuery []url.Values
	tokenErrs []string
	folders   []folder
}

type codeGrant struct {
	challenge, redirectURI, scope string
}

type grant struct {
	revoked bool
}

type accessToken struct {
	g       *grant
	expires time.Time
}

type folder struct{ id, name string }

// New starts a server, closed when the test ends.
func New(t testing.TB, cfg Config) *Server {
	if cfg.ClientID == "" {
		cfg.ClientID, cfg.ClientSecret = "client-id", "client-secret"
	}
	if cfg.AccessTTL == 0 {
		cfg.AccessTTL = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, codes: map[string]*codeGrant{}, refresh: map[string]*grant{}, access: map[string]accessToken{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", s.authorize)
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("POST /revoke", s.revoke)
	mux.HandleFunc("GET /api/ping", s.withAccess(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"ok":true}`)) }))
	mux.HandleFunc("GET /api/drive/v3/files", s.withAccess(s.listFolders))
	mux.HandleFunc("POST /api/drive/v3/files", s.withAccess(s.createFolder))
	srv := httptest.NewServer(mux) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	s.AuthURL, s.TokenURL, s.RevokeURL, s.APIURL = srv.URL+"/authorize", srv.URL+"/token", srv.URL+"/revoke", srv.URL+"/api"
	return s
}

// ClientID and ClientSecret are the registered client's.
func (s *Server) ClientID() string     { return s.cfg.ClientID }
func (s *Server) ClientSecret() string { return s.cfg.ClientSecret }

// Deny makes the next authorizations answer error=code ("" approves again).
func (s *Server) Deny(code string) {
	s.mu.Lock()
	s.deny = code
	s.mu.Unlock()
}

// Refreshes counts the refresh_token grants that succeeded.
func (s *Server) Refreshes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes
}

// Revoked lists the tokens posted to the revoke endpoint.
func (s *Server) Revoked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.revoked...)
}

// Issued lists every code, access token and refresh token handed out.
func (s *Server) Issued() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}

// AuthorizeQueries lists the query of every authorize request.
func (s *Server) AuthorizeQueries() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.authQuery...)
}

// TokenErrors lists the error codes the token endpoint answered.
func (s *Server) TokenErrors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.tokenErrs...)
}

// Folders counts the folders created through the Drive API.
func (s *Server) Folders() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.folders)
}

func (s *Server) newToken(prefix string) string {
	t := prefix + rand.Text()
	s.issued = append(s.issued, t)
	return t
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authQuery = append(s.authQuery, q)
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Scheme == "" || q.Get("client_id") != s.cfg.ClientID {
		http.Error(w, "unknown client or redirect_uri", http.StatusBadRequest)
		return
	}
	back := url.Values{"state": {q.Get("state")}}
	switch {
	case s.deny != "":
		back.Set("error", s.deny)
		back.Set("error_description", `<script>alert("the user said no")</script>`)
	case q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		back.Set("error", "invalid_request")
	default:
		code := s.newToken("code-")
		s.codes[code] = &codeGrant{challenge: q.Get("code_challenge"), redirectURI: q.Get("redirect_uri"), scope: q.Get("scope")}
		back.Set("code", code)
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.tokenError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id != s.cfg.ClientID || secret != s.cfg.ClientSecret {
		s.tokenError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	var g *grant
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		code := s.codes[r.PostForm.Get("code")]
		delete(s.codes, r.PostForm.Get("code")) // a code is good once
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		switch {
		case code == nil:
			s.tokenError(w, http.StatusBadRequest, "invalid_grant")
			return
		case code.redirectURI != r.PostForm.Get("redirect_uri"):
			s.tokenError(w, http.StatusBadRequest, "invalid_grant")
			return
		case base64.RawURLEncoding.EncodeToString(sum[:]) != code.challenge:
			s.tokenError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		g = &grant{}
	case "refresh_token":
		old := r.PostForm.Get("refresh_token")
		g = s.refresh[old]
		delete(s.refresh, old) // rotated: the old one is refused from now on
		if g == nil || g.revoked {
			s.tokenError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		s.refreshes++
	default:
		s.tokenError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	access, refresh := s.newToken("at-"), s.newToken("rt-")
	s.access[access] = accessToken{g: g, expires: s.cfg.Now().Add(s.cfg.AccessTTL)}
	s.refresh[refresh] = g
	if s.cfg.OnToken != nil {
		s.cfg.OnToken(access)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": access, "token_type": "Bearer",
		"expires_in": int(s.cfg.AccessTTL.Seconds()), "refresh_token": refresh})
}

func (s *Server) tokenError(w http.ResponseWriter, status int, code string) {
	s.tokenErrs = append(s.tokenErrs, code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": "fake: " + code + " <b>with markup</b>"})
}

// revoke ends the grant of a refresh or access token.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	tok := r.FormValue("token")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked = append(s.revoked, tok)
	g := s.refresh[tok]
	if a, ok := s.access[tok]; ok {
		g = a.g
	}
	if g == nil {
		s.tokenError(w, http.StatusBadRequest, "invalid_token")
		return
	}
	g.revoked = true
}

// Live reports whether access is a live access token of a live grant.
func (s *Server) Live(access string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.access[access]
	return ok && !a.g.revoked && s.cfg.Now().Before(a.expires)
}

func (s *Server) withAccess(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !s.Live(tok) {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			http.Error(w, `{"error":{"code":401,"message":"invalid token"}}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		h(w, r)
	}
}

// listFolders answers files.list for a query naming a folder in root.
func (s *Server) listFolders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	s.mu.Lock()
	defer s.mu.Unlock()
	files := []map[string]string{}
	for _, f := range s.folders {
		if strings.Contains(q, "name = '"+f.name+"'") && strings.Contains(q, "'root' in parents") {
			files = append(files, map[string]string{"id": f.id})
		}
	}
	json.NewEncoder(w).Encode(map[string]any{"files": files})
}

// createFolder answers files.create of a folder.
func (s *Server) createFolder(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name     string `json:"name"`
		MimeType string `json:"mimeType"`
	}
	if json.NewDecoder(r.Body).Decode(&in) != nil || in.MimeType != "application/vnd.google-apps.folder" || in.Name == "" {
		http.Error(w, `{"error":{"code":400}}`, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := folder{id: "folder-" + rand.Text()[:10], name: in.Name}
	s.folders = append(s.folders, f)
	json.NewEncoder(w).Encode(map[string]string{"id": f.id})
}
