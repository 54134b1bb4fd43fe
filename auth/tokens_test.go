package auth

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/docuvault/docuvault/secret"
	"github.com/docuvault/docuvault/store"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func newTokens(t *testing.T, c *clock) *Tokens {
	t.Helper()
	tk, err := NewTokens(testKey, c.now)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestAccessTokens(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	tk := newTokens(t, c)
	u := store.User{ID: 42, Username: "ann", IsAdmin: true, AuthVersion: 7}
	s, claims, err := tk.Access(u, "family-1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := tk.ParseAccess(s)
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID() != 42 || got.Session != "family-1" || got.AuthVersion != 7 || got.ID == "" || got.ID != claims.ID ||
		strings.Join(got.Roles, ",") != "user,admin" || !got.ExpiresAt.Time.Equal(c.t.Add(AccessTTL)) {
		t.Fatalf("claims %+v", got)
	}
	_, other, _ := tk.Access(u, "family-1")
	if other.ID == claims.ID {
		t.Fatal("two tokens share a jti")
	}

	t.Run("expire after 15 minutes", func(t *testing.T) {
		c := *c
		tk := newTokens(t, &c)
		c.t = c.t.Add(AccessTTL - time.Second)
		if _, err := tk.ParseAccess(s); err != nil {
			t.Fatalf("just before expiry: %v", err)
		}
		c.t = c.t.Add(time.Second)
		if _, err := tk.ParseAccess(s); !errors.Is(err, ErrBadToken) {
			t.Fatalf("at expiry: %v", err)
		}
	})

	t.Run("a challenge is no access token and back", func(t *testing.T) {
		ch, _, err := tk.Challenge(u)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tk.ParseAccess(ch); !errors.Is(err, ErrBadToken) {
			t.Fatalf("challenge as access token: %v", err)
		}
		if _, err := tk.ParseChallenge(s); !errors.Is(err, ErrBadToken) {
			t.Fatalf("access token as challenge: %v", err)
		}
		if cl, err := tk.ParseChallenge(ch); err != nil || cl.UserID() != 42 || cl.AuthVersion != 7 {
			t.Fatalf("ParseChallenge = %+v, %v", cl, err)
		}
	})

	for name, forged := range forgeries(t, claims) {
		t.Run("refuses "+name, func(t *testing.T) {
			if _, err := tk.ParseAccess(forged); !errors.Is(err, ErrBadToken) {
				t.Fatalf("accepted: %v", err)
			}
		})
	}
}

// forgeries returns tokens carrying claims that must all be refused: no
// signature (alg none), other algorithms with the right key, the wrong key,
// a tampered payload, and garbage.
func forgeries(t testing.TB, claims Claims) map[string]string {
	t.Helper()
	sign := func(m jwt.SigningMethod, key any, c ...Claims) string {
		cl := claims
		if len(c) > 0 {
			cl = c[0]
		}
		s, err := jwt.NewWithClaims(m, cl).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	parts := strings.Split(sign(jwt.SigningMethodHS256, testKey), ".")
	// The payload of a token about user 1, under the signature of ours.
	other := claims
	other.Subject = "1"
	tampered := strings.Split(sign(jwt.SigningMethodHS256, testKey, other), ".")[1]
	noExp := claims
	noExp.ExpiresAt = nil
	return map[string]string{
		"alg none": sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType),
		"alg none, signature kept": strings.Join([]string{
			base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)), parts[1], parts[2]}, "."),
		"HS384":              sign(jwt.SigningMethodHS384, testKey),
		"HS512":              sign(jwt.SigningMethodHS512, testKey),
		"another key":        sign(jwt.SigningMethodHS256, []byte("another key of 32 bytes at least!")),
		"a tampered payload": strings.Join([]string{parts[0], tampered, parts[2]}, "."),
		"no expiry":          sign(jwt.SigningMethodHS256, testKey, noExp),
		"garbage":            "not.a.token",
		"empty":              "",
	}
}

func TestNewTokensNeedsAKey(t *testing.T) {
	if _, err := NewTokens([]byte("short"), nil); err == nil {
		t.Fatal("a 5-byte key was accepted")
	}
}

func TestSigningKey(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	key := base64.StdEncoding.EncodeToString([]byte(testKey))
	k, src, err := SigningKey(env(map[string]string{EnvJWTKey: key}), nil)
	if err != nil || string(k) != string(testKey) || src != EnvJWTKey {
		t.Fatalf("from env: %q %q %v", k, src, err)
	}
	if _, _, err := SigningKey(env(map[string]string{EnvJWTKey: "c2hvcnQ="}), nil); err == nil {
		t.Fatal("a short key was accepted")
	}
	ring, err := secret.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	d1, _, err := SigningKey(env(nil), ring)
	d2, _, _ := SigningKey(env(nil), ring)
	if err != nil || len(d1) != 32 || string(d1) != string(d2) || string(d1) == string(testKey) {
		t.Fatalf("derived keys %x %x %v: want equal, 32 bytes, not the encryption key", d1, d2, err)
	}
	r1, _, _ := SigningKey(env(nil), nil)
	r2, _, _ := SigningKey(env(nil), nil)
	if len(r1) != 32 || string(r1) == string(r2) {
		t.Fatal("random keys repeat")
	}
}
