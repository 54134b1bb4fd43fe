package api

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"golang.org/x/oauth2"

	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/secret"
	"github.com/docuvault/docuvault/storage"
	"github.com/docuvault/docuvault/store"
)

// Connecting OneDrive or Google Drive: the authorization code flow with
// PKCE. POST …/connect (signed in) stores a single-use state bound to the
// user and sets a cookie that binds the flow to this browser too; the
// browser goes to the provider, which sends it to GET …/callback. There
// the state, the cookie and the expiry are checked, the code is exchanged
// and the token saved, sealed, through storage.Apply.

// oauthFlowTTL is how long a user has to consent at the provider.
const oauthFlowTTL = 10 * time.Minute

// oauthCookie carries the browser binding of a flow, only to its callback.
const oauthCookie = "dv_oauth"

// providerOrder is the order providers are offered in.
var providerOrder = []string{storage.OneDrive, storage.GDrive}

type providerView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// listProviders answers the providers this server is registered with.
func (a *API) listProviders(w http.ResponseWriter, _ *http.Request, _ *caller) error {
	out := []providerView{}
	for _, k := range providerOrder {
		if p := a.storage.OAuth[k]; p != nil {
			out = append(out, providerView{ID: p.Kind, Name: p.Name})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"providers": out})
	return nil
}

func (a *API) pathProvider(r *http.Request) *storage.OAuthProvider {
	return a.storage.OAuth[r.PathValue("provider")]
}

func callbackPath(kind string) string { return Prefix + "/storage/" + kind + "/callback" }

// connectStorage starts a flow and answers the provider's authorization
// URL, which the web UI navigates to: a Bearer-authenticated request
// cannot be answered with a redirect the browser follows as a page.
func (a *API) connectStorage(w http.ResponseWriter, r *http.Request, c *caller) error {
	p := a.pathProvider(r)
	if p == nil {
		return errorf(http.StatusNotFound, "not_found", "%q is not a storage provider offered by this server", r.PathValue("provider"))
	}
	var in struct {
		Mount string `json:"mount"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if !storage.ValidMount(in.Mount) {
		return invalid("mount: want / or one top-level folder such as /OneDrive, not %q", in.Mount)
	}
	keys := a.storage.Keys
	if keys == nil {
		return errNoStorageKey
	}
	state, binding, verifier := auth.NewToken(), auth.NewToken(), oauth2.GenerateVerifier()
	stateHash := auth.HashToken(state)
	sealed, err := keys.Seal([]byte(verifier), verifierContext(stateHash))
	if err != nil {
		return err
	}
	now := a.now()
	if err := a.st.CreateOAuthState(r.Context(), store.OAuthState{StateHash: stateHash, BindingHash: auth.HashToken(binding),
		UserID: c.User.ID, Provider: p.Kind, Mount: in.Mount, Verifier: sealed, ExpiresAt: now.Add(oauthFlowTTL)}); err != nil {
		return err
	}
	a.maybeCleanup(r.Context())
	setOAuthCookie(w, p, binding, oauthFlowTTL)
	writeJSON(w, http.StatusOK, map[string]string{"url": p.AuthCodeURL(state, verifier)})
	return nil
}

// verifierContext binds a sealed code_verifier to its flow.
func verifierContext(stateHash string) string { return "oauth-state:" + stateHash }

// setOAuthCookie sets (or with maxAge <= 0 clears) the flow's browser
// binding: HttpOnly, sent only to p's callback, and by SameSite=Lax also
// on the top-level navigation back from the provider.
func setOAuthCookie(w http.ResponseWriter, p *storage.OAuthProvider, value string, maxAge time.Duration) {
	c := &http.Cookie{Name: oauthCookie, Value: value, Path: callbackPath(p.Kind), MaxAge: int(maxAge.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: isHTTPS(p.RedirectURL)}
	if maxAge <= 0 {
		c.Value, c.MaxAge = "", -1
	}
	http.SetCookie(w, c)
}

func isHTTPS(u string) bool {
	pu, err := url.Parse(u)
	return err == nil && pu.Scheme == "https"
}

// oauthFailure is a callback that connected nothing: code goes to the web
// UI as /storage?error=<code>; err (without secrets) to the log.
type oauthFailure struct {
	code string
	err  error
}

// Codes a failed callback redirects with; openapi.json lists them.
const (
	cbInvalidState       = "invalid_state"       // unknown, used, or another provider's state
	cbStateExpired       = "state_expired"       // consent took longer than oauthFlowTTL
	cbWrongBrowser       = "wrong_browser"       // the flow's cookie is missing or differs
	cbAccessDenied       = "access_denied"       // the user declined at the provider
	cbProviderError      = "provider_error"      // the provider sent another error, or no code
	cbExchangeFailed     = "exchange_failed"     // the token endpoint refused the code
	cbStorageUnreachable = "storage_unreachable" // the drive could not be listed with the token
	cbNoKey              = "no_encryption_key"
	cbInternal           = "internal"
)

var providerErrorCode = regexp.MustCompile(`^[a-z_]{1,64}$`)

// oauthCallback finishes a flow and redirects to the web UI's storage
// page. The state is taken (deleted) first, so it is good for one try.
func (a *API) oauthCallback(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	p := a.pathProvider(r)
	var f *oauthFailure
	var u store.User
	var mount string
	if p == nil {
		f = &oauthFailure{code: cbInvalidState, err: errors.New("unknown provider")}
	} else {
		u, mount, f = a.finishConnect(r, p)
		setOAuthCookie(w, p, "", 0)
	}
	if f != nil {
		a.log.WarnContext(r.Context(), "storage not connected", "provider", r.PathValue("provider"), "user", u.ID,
			"reason", f.code, "err", f.err)
		http.Redirect(w, r, "/storage?"+url.Values{"error": {f.code}}.Encode(), http.StatusFound)
		return nil
	}
	a.audit(r, u, evStorageChanged, "mount "+mount+", kind "+p.Kind+" (connected)")
	http.Redirect(w, r, "/storage?"+url.Values{"connected": {p.Kind}}.Encode(), http.StatusFound)
	return nil
}

func (a *API) finishConnect(r *http.Request, p *storage.OAuthProvider) (store.User, string, *oauthFailure) {
	ctx := r.Context()
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		return store.User{}, "", &oauthFailure{cbInvalidState, errors.New("no state")}
	}
	flow, err := a.st.TakeOAuthState(ctx, auth.HashToken(state))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.User{}, "", &oauthFailure{cbInvalidState, errors.New("unknown or used state")}
	case err != nil:
		return store.User{}, "", &oauthFailure{cbInternal, err}
	}
	u := store.User{ID: flow.UserID}
	fail := func(code string, err error) (store.User, string, *oauthFailure) {
		return u, flow.Mount, &oauthFailure{code, err}
	}
	if flow.Provider != p.Kind {
		return fail(cbInvalidState, errors.New("the state belongs to "+flow.Provider))
	}
	if !a.now().Before(flow.ExpiresAt) {
		return fail(cbStateExpired, errors.New("state expired"))
	}
	ck, err := r.Cookie(oauthCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(auth.HashToken(ck.Value)), []byte(flow.BindingHash)) != 1 {
		return fail(cbWrongBrowser, errors.New("the flow's cookie is missing or differs"))
	}
	if e := q.Get("error"); e != "" {
		if !providerErrorCode.MatchString(e) {
			e = "(malformed)"
		}
		if e == cbAccessDenied {
			return fail(cbAccessDenied, errors.New("declined at the provider"))
		}
		return fail(cbProviderError, errors.New("the provider answered error "+e))
	}
	code := q.Get("code")
	if code == "" {
		return fail(cbProviderError, errors.New("no code"))
	}
	if u, err = a.st.UserByID(ctx, flow.UserID); err != nil || u.Disabled {
		return fail(cbInvalidState, errors.New("the account is gone or disabled"))
	}
	keys := a.storage.Keys
	verifier, err := keys.Open(flow.Verifier, verifierContext(flow.StateHash))
	if errors.Is(err, secret.ErrNoKey) {
		return fail(cbNoKey, err)
	} else if err != nil {
		return fail(cbInternal, err)
	}
	tok, err := p.Exchange(ctx, code, string(verifier), a.now())
	if err != nil {
		return fail(cbExchangeFailed, err)
	}
	spec, err := p.NewSpec(ctx, tok)
	if err == nil {
		err = storage.Apply(ctx, a.st, a.storage, u, flow.Mount, spec, true)
	}
	var ce *storage.CheckError
	switch {
	case err == nil:
		return u, flow.Mount, nil
	case errors.Is(err, storage.ErrNotCounted) || errors.Is(err, storage.ErrNotRevoked):
		a.log.WarnContext(ctx, "storage connected", "user", u.ID, "err", err)
		return u, flow.Mount, nil
	case errors.Is(err, secret.ErrNoKey):
		return fail(cbNoKey, err)
	case errors.As(err, &ce), spec.Kind == "":
		code = cbStorageUnreachable
	default:
		code = cbInternal
	}
	// Nothing was saved: the fresh grant is of no use.
	if rerr := p.Revoke(ctx, tok); rerr != nil {
		err = errors.Join(err, rerr)
	}
	return fail(code, err)
}
