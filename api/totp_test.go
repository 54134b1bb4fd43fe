package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

// TestTOTP walks enrol → confirm → sign-in with a code → replay refused →
// recovery code over HTTP, then regeneration and disabling.
func TestTOTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := newServer(t, st)
		dana := s.addUser("dana", "dana-password", false)
		ss := s.signin(t, "dana", "dana-password")
		signin := func() string {
			t.Helper()
			r := s.do(t, req{method: "POST", path: "/auth/signin", body: map[string]string{"login": "dana", "password": "dana-password"}})
			want(t, r, http.StatusOK)
			if r.json["two_factor_required"] != true || r.str("challenge") == "" || r.str("access_token") != "" || r.cookie != nil {
				t.Fatalf("password step with 2FA answered %s (cookie %v)", r.body, r.cookie)
			}
			return r.str("challenge")
		}
		second := func(challenge, field, value string) reply {
			t.Helper()
			return s.do(t, req{method: "POST", path: "/auth/signin/2fa", body: map[string]string{"challenge": challenge, field: value}})
		}

		var secret string
		t.Run("enrol shows a secret, a URI and a QR code", func(t *testing.T) {
			want(t, s.do(t, req{method: "POST", path: "/account/totp/enroll", token: ss.access, body: map[string]string{"password": "wrong"}}),
				http.StatusForbidden, "bad_credentials")
			r := s.do(t, req{method: "POST", path: "/account/totp/enroll", token: ss.access, body: map[string]string{"password": "dana-password"}})
			want(t, r, http.StatusOK)
			secret = r.str("secret")
			if len(secret) < 32 || !strings.HasPrefix(r.str("uri"), "otpauth://totp/DocuVault:dana?") || !strings.HasPrefix(r.str("qr_png"), "iVBORw0KGgo") {
				t.Fatalf("enrolment %s", r.body)
			}
			row, err := st.TOTPOf(t.Context(), dana.ID)
			if err != nil || strings.Contains(row.Secret, secret) || !strings.HasPrefix(row.Secret, "dv1:") {
				t.Fatalf("the secret is not sealed at rest: %+v %v", row, err)
			}
		})

		t.Run("pending until a code is confirmed", func(t *testing.T) {
			me := s.do(t, req{method: "GET", path: "/auth/me", token: ss.access})
			if me.json["two_factor_enabled"] != false {
				t.Fatal("2FA on before confirmation")
			}
			s.signin(t, "dana", "dana-password") // still no challenge
			want(t, s.do(t, req{method: "POST", path: "/account/totp/confirm", token: ss.access, body: map[string]string{"code": s.wrongCode(t, secret)}}),
				http.StatusBadRequest, "invalid_code")
		})

		var recovery []string
		t.Run("confirm turns it on and shows ten recovery codes", func(t *testing.T) {
			r := s.do(t, req{method: "POST", path: "/account/totp/confirm", token: ss.access, body: map[string]string{"code": s.totpCode(t, secret, 0)}})
			want(t, r, http.StatusOK)
			for _, c := range r.json["recovery_codes"].([]any) {
				recovery = append(recovery, c.(string))
			}
			if len(recovery) != 10 {
				t.Fatalf("recovery codes %v", recovery)
			}
			me := s.do(t, req{method: "GET", path: "/auth/me", token: ss.access})
			if me.json["two_factor_enabled"] != true || me.json["recovery_codes_left"] != float64(10) {
				t.Fatalf("me: %s", me.body)
			}
			want(t, s.do(t, req{method: "POST", path: "/account/totp/enroll", token: ss.access, body: map[string]string{"password": "dana-password"}}),
				http.StatusConflict, "conflict")
		})

		t.Run("sign-in needs a code; a used code is refused", func(t *testing.T) {
			ch := signin()
			want(t, s.do(t, req{method: "GET", path: "/auth/me", token: ch}), http.StatusUnauthorized, "invalid_token")
			want(t, second(ch, "code", s.totpCode(t, secret, 0)), http.StatusUnauthorized, "invalid_code") // used to confirm
			s.clock.Add(30 * time.Second)
			code := s.totpCode(t, secret, 0)
			r := second(ch, "code", code)
			want(t, r, http.StatusOK)
			if r.str("access_token") == "" || r.cookie == nil {
				t.Fatalf("2FA sign-in answered %s", r.body)
			}
			want(t, second(ch, "code", s.totpCode(t, secret, 30*time.Second)), http.StatusUnauthorized, "invalid_token") // challenge spent
			want(t, second(signin(), "code", code), http.StatusUnauthorized, "invalid_code")                             // replay
		})

		t.Run("one period of skew", func(t *testing.T) {
			s.clock.Add(60 * time.Second)
			want(t, second(signin(), "code", s.totpCode(t, secret, 30*time.Second)), http.StatusOK)
			// Within the skew, but older than the last code used.
			want(t, second(signin(), "code", s.totpCode(t, secret, -30*time.Second)), http.StatusUnauthorized, "invalid_code")
			s.clock.Add(2 * time.Minute)
			want(t, second(signin(), "code", s.totpCode(t, secret, 60*time.Second)), http.StatusUnauthorized, "invalid_code")
			want(t, second(signin(), "code", s.totpCode(t, secret, -60*time.Second)), http.StatusUnauthorized, "invalid_code")
			want(t, second(signin(), "code", s.totpCode(t, secret, -30*time.Second)), http.StatusOK)
		})

		t.Run("a recovery code works once", func(t *testing.T) {
			typed := strings.ToUpper(recovery[0])
			want(t, second(signin(), "recovery_code", typed), http.StatusOK)
			want(t, second(signin(), "recovery_code", recovery[0]), http.StatusUnauthorized, "invalid_code")
			me := s.do(t, req{method: "GET", path: "/auth/me", token: ss.access})
			if me.json["recovery_codes_left"] != float64(9) {
				t.Fatalf("me: %s", me.body)
			}
		})

		t.Run("code guessing backs off, and the password does not reset it", func(t *testing.T) {
			s.clock.Add(2 * time.Hour) // forget earlier failures
			for i := 0; i < s.limiter.Free+1; i++ {
				want(t, second(signin(), "code", s.wrongCode(t, secret)), http.StatusUnauthorized, "invalid_code")
			}
			r := second(signin(), "code", s.totpCode(t, secret, 0))
			want(t, r, http.StatusTooManyRequests, "too_many_requests")
			if r.header.Get("Retry-After") == "" {
				t.Fatal("no Retry-After")
			}
			s.clock.Add(time.Minute)
			r = second(signin(), "code", s.totpCode(t, secret, 0))
			want(t, r, http.StatusOK)
			ss = session{access: r.str("access_token"), refresh: r.cookie.Value}
		})

		t.Run("regenerating recovery codes needs the password and a code", func(t *testing.T) {
			s.clock.Add(30 * time.Second)
			body := map[string]string{"password": "dana-password", "code": s.wrongCode(t, secret)}
			want(t, s.do(t, req{method: "POST", path: "/account/totp/recovery-codes", token: ss.access, body: body}), http.StatusForbidden, "invalid_code")
			body = map[string]string{"password": "wrong-password", "code": s.totpCode(t, secret, 0)}
			want(t, s.do(t, req{method: "POST", path: "/account/totp/recovery-codes", token: ss.access, body: body}), http.StatusForbidden, "bad_credentials")
			body = map[string]string{"password": "dana-password", "code": s.totpCode(t, secret, 0)}
			r := s.do(t, req{method: "POST", path: "/account/totp/recovery-codes", token: ss.access, body: body})
			want(t, r, http.StatusOK)
			if n := len(r.json["recovery_codes"].([]any)); n != 10 {
				t.Fatalf("%d new codes", n)
			}
			want(t, second(signin(), "recovery_code", recovery[1]), http.StatusUnauthorized, "invalid_code")
			want(t, second(signin(), "recovery_code", r.json["recovery_codes"].([]any)[0].(string)), http.StatusOK)
		})

		t.Run("disabling needs the password and a current code", func(t *testing.T) {
			s.clock.Add(30 * time.Second)
			want(t, s.do(t, req{method: "POST", path: "/account/totp/disable", token: ss.access,
				body: map[string]string{"password": "dana-password"}}), http.StatusBadRequest, "invalid_input")
			want(t, s.do(t, req{method: "POST", path: "/account/totp/disable", token: ss.access,
				body: map[string]string{"password": "dana-password", "code": s.wrongCode(t, secret)}}), http.StatusForbidden, "invalid_code")
			want(t, s.do(t, req{method: "POST", path: "/account/totp/disable", token: ss.access,
				body: map[string]string{"password": "dana-password", "code": s.totpCode(t, secret, 0)}}), http.StatusNoContent)
			s.signin(t, "dana", "dana-password") // no challenge any more
			if _, err := st.TOTPOf(t.Context(), dana.ID); err == nil {
				t.Fatal("the secret was kept")
			}
		})

		t.Run("2FA changes are audited", func(t *testing.T) {
			events, _ := st.AuditLog(t.Context(), store.AuditFilter{UserID: dana.ID})
			for _, e := range []string{"2fa.enroll_started", "2fa.enabled", "signin.challenge", "signin.2fa_failure", "2fa.recovery_codes_regenerated", "2fa.disabled"} {
				if !hasEvent(events, e) {
					t.Errorf("no %q entry", e)
				}
			}
		})
	})
}

func TestTOTPWithoutEncryptionKey(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	s := newServer(t, st, options{noKeys: true})
	s.addUser("erin", "erin-password", false)
	ss := s.signin(t, "erin", "erin-password")
	want(t, s.do(t, req{method: "POST", path: "/account/totp/enroll", token: ss.access, body: map[string]string{"password": "erin-password"}}),
		http.StatusServiceUnavailable, "totp_unavailable")
}
