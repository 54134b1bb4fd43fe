package api_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

// state renders everything a request could change, except the audit log
// (failures are recorded there on purpose).
func state(t *testing.T, st *store.Store) string {
	t.Helper()
	ctx := t.Context()
	var b strings.Builder
	users, err := st.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		fmt.Fprintf(&b, "user %+v\n", u)
		aps, _ := st.AppPasswords(ctx, u.ID)
		fmt.Fprintf(&b, "  app passwords %+v\n", aps)
		tp, err := st.TOTPOf(ctx, u.ID)
		fmt.Fprintf(&b, "  totp %+v %v\n", tp, err)
		n, _ := st.RecoveryCodesLeft(ctx, u.ID)
		fmt.Fprintf(&b, "  recovery codes %d\n", n)
		ss, _ := st.Sessions(ctx, u.ID)
		fmt.Fprintf(&b, "  sessions %+v\n", ss)
	}
	mode, err := st.Setting(ctx, "signup_mode")
	fmt.Fprintf(&b, "signup %q %v\n", mode, err)
	inv, _ := st.Invites(ctx)
	fmt.Fprintf(&b, "invites %+v\n", inv)
	return b.String()
}

// TestBadInputs sends malformed, oversized, mistyped and forged requests;
// each gets its documented status and error code and changes nothing.
func TestBadInputs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		// Failures on purpose: no backoff here (TestSigninBackoff covers it).
		s := newServer(t, st, options{limiter: &auth.Limiter{Free: 1 << 20, Base: time.Second, Max: time.Second, Forget: time.Hour}})
		root := s.addUser("root", "root-password", true)
		kim := s.addUser("kim", "kim-password", false)
		admin := s.signin(t, "root", "root-password")
		kimSession := s.signin(t, "kim", "kim-password")
		secret, recovery := s.enable2FA(t, kimSession, "kim-password")
		if err := st.SetSetting(t.Context(), "signup_mode", "open"); err != nil {
			t.Fatal(err)
		}
		ch := s.do(t, req{method: "POST", path: "/auth/signin", body: map[string]string{"login": "kim", "password": "kim-password"}}).str("challenge")
		s.clock.Add(30 * time.Second)
		kimSession = s.signin2FA(t, ch, s.totpCode(t, secret, 0))
		ch = s.do(t, req{method: "POST", path: "/auth/signin", body: map[string]string{"login": "kim", "password": "kim-password"}}).str("challenge")
		currentCode := s.totpCode(t, secret, 30*time.Second) // unused, valid
		wrong := s.wrongCode(t, secret)

		// Forged and stale tokens, each claiming to be root (an admin).
		now := s.clock.Now()
		good, _ := auth.NewTokens(signingKey, func() time.Time { return now })
		_, claims, _ := good.Access(root, "sid")
		resign := func(m jwt.SigningMethod, key any) string {
			tok, err := jwt.NewWithClaims(m, claims).SignedString(key)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		stale, _ := auth.NewTokens(signingKey, func() time.Time { return now.Add(-auth.AccessTTL - time.Second) })
		expired, _, _ := stale.Access(root, "sid")
		other, _ := auth.NewTokens([]byte("another-key-another-key-another-k"), func() time.Time { return now })
		forged, _, _ := other.Access(root, "sid")
		forgedChallenge, _, _ := other.Challenge(kim)
		noneAlg := resign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType)
		hs512 := resign(jwt.SigningMethodHS512, signingKey)
		parts := strings.Split(resign(jwt.SigningMethodHS256, signingKey), ".")
		noneKeptSig := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "." + parts[2]

		raw := func(s string) *string { return &s }
		huge := `{"login":"kim","password":"` + strings.Repeat("a", 70<<10) + `"}`
		kimPath := "/admin/users/" + itoa(kim.ID)
		for _, tc := range []struct {
			name   string
			q      req
			status int
			code   string
		}{
			// Bodies.
			{"malformed JSON", req{method: "POST", path: "/auth/signin", raw: raw(`{"login": "kim",`)}, 400, "invalid_json"},
			{"empty body", req{method: "POST", path: "/auth/signin", raw: raw("")}, 400, "invalid_json"},
			{"two JSON values", req{method: "POST", path: "/auth/signin", raw: raw(`{"login":"kim","password":"kim-password"} {}`)}, 400, "invalid_json"},
			{"an array, not an object", req{method: "POST", path: "/auth/signin", raw: raw(`["kim","kim-password"]`)}, 400, "wrong_type"},
			{"a number for a string", req{method: "POST", path: "/auth/signin", raw: raw(`{"login":5,"password":"x"}`)}, 400, "wrong_type"},
			{"null password", req{method: "POST", path: "/auth/signin", raw: raw(`{"login":"kim","password":null}`)}, 400, "invalid_input"},
			{"unknown field, right password", req{method: "POST", path: "/auth/signin", raw: raw(`{"login":"root","password":"root-password","remember":true}`)}, 400, "unknown_field"},
			{"huge body", req{method: "POST", path: "/auth/signin", raw: &huge}, 413, "body_too_large"},
			{"not JSON content type", req{method: "POST", path: "/auth/signin", raw: raw(`{"login":"root","password":"root-password"}`), contentType: "text/plain"}, 415, "unsupported_media_type"},
			{"form post", req{method: "POST", path: "/auth/signin", raw: raw(`login=root&password=root-password`), contentType: "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"},
			{"signing up as admin", req{method: "POST", path: "/auth/signup", raw: raw(`{"username":"mallory","password":"mallory-pw","is_admin":true}`)}, 400, "unknown_field"},
			{"bad username", req{method: "POST", path: "/auth/signup", body: map[string]any{"username": "../root", "password": "long-enough"}}, 400, "invalid_input"},
			{"short password", req{method: "POST", path: "/auth/signup", body: map[string]any{"username": "mallory", "password": "short"}}, 400, "invalid_input"},
			{"bad e-mail", req{method: "POST", path: "/auth/signup", body: map[string]any{"username": "mallory", "password": "long-enough", "email": "not-an-address"}}, 400, "invalid_input"},
			{"taken username", req{method: "POST", path: "/auth/signup", body: map[string]any{"username": "kim", "password": "long-enough"}}, 409, "conflict"},

			// Credentials and codes.
			{"wrong password", req{method: "POST", path: "/auth/signin", body: map[string]any{"login": "root", "password": "Root-password"}}, 401, "bad_credentials"},
			{"unknown account", req{method: "POST", path: "/auth/signin", body: map[string]any{"login": "nobody", "password": "root-password"}}, 401, "bad_credentials"},
			{"wrong TOTP code", req{method: "POST", path: "/auth/signin/2fa", body: map[string]any{"challenge": ch, "code": wrong}}, 401, "invalid_code"},
			{"letters for a code", req{method: "POST", path: "/auth/signin/2fa", body: map[string]any{"challenge": ch, "code": "abcdef"}}, 401, "invalid_code"},
			{"wrong recovery code", req{method: "POST", path: "/auth/signin/2fa", body: map[string]any{"challenge": ch, "recovery_code": "aaaa-bbbb-cccc-dddd"}}, 401, "invalid_code"},
			{"code and recovery code", req{method: "POST", path: "/auth/signin/2fa", body: map[string]any{"challenge": ch, "code": currentCode, "recovery_code": recovery[0]}}, 400, "invalid_input"},
			{"a code as a number", req{method: "POST", path: "/auth/signin/2fa", raw: raw(`{"challenge":"` + ch + `","code":123456}`)}, 400, "wrong_type"},
			{"forged challenge", req{method: "POST", path: "/auth/signin/2fa", body: map[string]any{"challenge": forgedChallenge, "code": currentCode}}, 401, "invalid_token"},
			{"access token as challenge", req{method: "POST", path: "/auth/signin/2fa", body: map[string]any{"challenge": kimSession.access, "code": currentCode}}, 401, "invalid_token"},
			{"refresh without a cookie", req{method: "POST", path: "/auth/refresh", header: map[string]string{"X-Requested-With": "x"}}, 401, "invalid_token"},
			{"refresh with a made-up cookie", req{method: "POST", path: "/auth/refresh", refresh: "made-up", header: map[string]string{"X-Requested-With": "x"}}, 401, "invalid_token"},
			{"refresh without the CSRF header", req{method: "POST", path: "/auth/refresh", refresh: admin.refresh}, 403, "csrf"},
			{"refresh from another origin", req{method: "POST", path: "/auth/refresh", refresh: admin.refresh, header: map[string]string{"Origin": "http://127.0.0.1.evil.example"}}, 403, "csrf"},

			// Bearer tokens, on a read and on writes an admin could make.
			{"no token", req{method: "GET", path: "/auth/me"}, 401, "unauthorized"},
			{"Basic instead of Bearer", req{method: "GET", path: "/auth/me", header: map[string]string{"Authorization": "Basic cm9vdDpyb290LXBhc3N3b3Jk"}}, 401, "unauthorized"},
			{"expired token", req{method: "GET", path: "/auth/me", token: expired}, 401, "invalid_token"},
			{"token of another key", req{method: "GET", path: "/auth/me", token: forged}, 401, "invalid_token"},
			{"alg none", req{method: "GET", path: "/auth/me", token: noneAlg}, 401, "invalid_token"},
			{"alg none, signature kept", req{method: "GET", path: "/auth/me", token: noneKeptSig}, 401, "invalid_token"},
			{"HS512 with the right key", req{method: "GET", path: "/auth/me", token: hs512}, 401, "invalid_token"},
			{"challenge as access token", req{method: "GET", path: "/auth/me", token: ch}, 401, "invalid_token"},
			{"garbage token", req{method: "GET", path: "/auth/me", token: "a.b.c"}, 401, "invalid_token"},
			{"alg none deletes a user", req{method: "DELETE", path: kimPath, token: noneAlg}, 401, "invalid_token"},
			{"forged key changes settings", req{method: "PATCH", path: "/admin/settings", token: forged, body: map[string]any{"signup_mode": "closed"}}, 401, "invalid_token"},
			{"expired token makes an app password", req{method: "POST", path: "/account/app-passwords", token: expired, body: map[string]any{"name": "x"}}, 401, "invalid_token"},
			{"user on an admin route", req{method: "PATCH", path: kimPath, token: kimSession.access, body: map[string]any{"is_admin": true}}, 403, "forbidden"},

			// Account changes.
			{"read_only as a string", req{method: "POST", path: "/account/app-passwords", token: admin.access, raw: raw(`{"name":"x","read_only":"yes"}`)}, 400, "wrong_type"},
			{"prefix escaping upwards", req{method: "POST", path: "/account/app-passwords", token: admin.access, body: map[string]any{"name": "x", "path_prefix": "/Docs/../.."}}, 400, "invalid_input"},
			{"relative prefix", req{method: "POST", path: "/account/app-passwords", token: admin.access, body: map[string]any{"name": "x", "path_prefix": "Docs"}}, 400, "invalid_input"},
			{"prefix with a trailing slash", req{method: "POST", path: "/account/app-passwords", token: admin.access, body: map[string]any{"name": "x", "path_prefix": "/Docs/"}}, 400, "invalid_input"},
			{"expiry in the past", req{method: "POST", path: "/account/app-passwords", token: admin.access, body: map[string]any{"name": "x", "expires_at": now.Add(-time.Hour).Format(time.RFC3339)}}, 400, "invalid_input"},
			{"expiry not a time", req{method: "POST", path: "/account/app-passwords", token: admin.access, body: map[string]any{"name": "x", "expires_at": "tomorrow"}}, 400, "invalid_input"},
			{"no name", req{method: "POST", path: "/account/app-passwords", token: admin.access, body: map[string]any{"name": "  "}}, 400, "invalid_input"},
			{"revoke a made-up id", req{method: "DELETE", path: "/account/app-passwords/999", token: admin.access}, 404, "not_found"},
			{"revoke a non-number", req{method: "DELETE", path: "/account/app-passwords/x", token: admin.access}, 404, "not_found"},
			{"password change, wrong current", req{method: "POST", path: "/account/password", token: admin.access, body: map[string]any{"current_password": "nope", "new_password": "new-root-password"}}, 403, "bad_credentials"},
			{"password change, short new", req{method: "POST", path: "/account/password", token: admin.access, body: map[string]any{"current_password": "root-password", "new_password": "short"}}, 400, "invalid_input"},
			{"enrol with a wrong password", req{method: "POST", path: "/account/totp/enroll", token: admin.access, body: map[string]any{"password": "nope"}}, 403, "bad_credentials"},
			{"confirm with nothing pending", req{method: "POST", path: "/account/totp/confirm", token: admin.access, body: map[string]any{"code": currentCode}}, 409, "conflict"},
			{"enrol while enabled", req{method: "POST", path: "/account/totp/enroll", token: kimSession.access, body: map[string]any{"password": "kim-password"}}, 409, "conflict"},
			{"disable 2FA with a wrong code", req{method: "POST", path: "/account/totp/disable", token: kimSession.access, body: map[string]any{"password": "kim-password", "code": wrong}}, 403, "invalid_code"},
			{"disable 2FA with a wrong password", req{method: "POST", path: "/account/totp/disable", token: kimSession.access, body: map[string]any{"password": "nope", "code": currentCode}}, 403, "bad_credentials"},
			{"new recovery codes without a code", req{method: "POST", path: "/account/totp/recovery-codes", token: kimSession.access, body: map[string]any{"password": "kim-password"}}, 400, "invalid_input"},
			{"disable 2FA when off", req{method: "POST", path: "/account/totp/disable", token: admin.access, body: map[string]any{"password": "root-password", "code": currentCode}}, 409, "conflict"},

			// Administration.
			{"quota as a string", req{method: "PATCH", path: kimPath, token: admin.access, raw: raw(`{"quota_bytes":"10"}`)}, 400, "wrong_type"},
			{"quota as a fraction", req{method: "PATCH", path: kimPath, token: admin.access, raw: raw(`{"quota_bytes":1.5}`)}, 400, "wrong_type"},
			{"disabled as a number", req{method: "PATCH", path: kimPath, token: admin.access, raw: raw(`{"disabled":1}`)}, 400, "wrong_type"},
			{"negative quota", req{method: "PATCH", path: kimPath, token: admin.access, body: map[string]any{"quota_bytes": -1}}, 400, "invalid_input"},
			{"empty patch", req{method: "PATCH", path: kimPath, token: admin.access, body: map[string]any{}}, 400, "invalid_input"},
			{"unknown field in a patch", req{method: "PATCH", path: kimPath, token: admin.access, raw: raw(`{"password_hash":"x"}`)}, 400, "unknown_field"},
			{"made-up signup mode", req{method: "PATCH", path: "/admin/settings", token: admin.access, body: map[string]any{"signup_mode": "everyone"}}, 400, "invalid_input"},
			{"invite for ages", req{method: "POST", path: "/admin/invites", token: admin.access, body: map[string]any{"expires_in_hours": 100000}}, 400, "invalid_input"},
			{"user id not a number", req{method: "DELETE", path: "/admin/users/abc", token: admin.access}, 404, "not_found"},
			{"user id zero", req{method: "GET", path: "/admin/users/0", token: admin.access}, 404, "not_found"},

			// Routing.
			{"unknown endpoint", req{method: "GET", path: "/nope"}, 404, "not_found"},
			{"wrong method", req{method: "GET", path: "/auth/signin"}, 405, "method_not_allowed"},
			{"wrong method on a collection", req{method: "PUT", path: "/admin/users", token: admin.access}, 405, "method_not_allowed"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := state(t, st)
				r := s.do(t, tc.q)
				if r.status != tc.status || r.code() != tc.code {
					t.Errorf("got %d %s, want %d %s", r.status, r.body, tc.status, tc.code)
				}
				if r.status == http.StatusMethodNotAllowed && r.header.Get("Allow") == "" {
					t.Error("405 without Allow")
				}
				if r.cookie != nil && r.cookie.MaxAge >= 0 {
					t.Errorf("a refused request set a refresh cookie: %+v", r.cookie)
				}
				if after := state(t, st); after != before {
					t.Errorf("the refused request changed the state:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
		t.Run("the code refused above still works", func(t *testing.T) {
			s.signin2FA(t, ch, currentCode)
		})
	})
}

// wrongCode returns a six-digit code that secret gives at no step within
// a minute of the server's time.
func (s *server) wrongCode(t *testing.T, secret string) string {
	t.Helper()
	for n := 0; ; n++ {
		c := fmt.Sprintf("%06d", n)
		clash := false
		for d := -90 * time.Second; d <= 90*time.Second; d += 30 * time.Second {
			clash = clash || s.totpCode(t, secret, d) == c
		}
		if !clash {
			return c
		}
	}
}
