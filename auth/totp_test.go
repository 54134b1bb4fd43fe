package auth

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

func TestTOTP(t *testing.T) {
	k, err := NewTOTP("DocuVault", "ann")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(k.URI)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != k.Secret || u.Query().Get("issuer") != "DocuVault" {
		t.Fatalf("provisioning URI %q", k.URI)
	}
	raw, err := base64.StdEncoding.DecodeString(k.QRPNG)
	if err != nil {
		t.Fatal(err)
	}
	if img, err := png.Decode(bytes.NewReader(raw)); err != nil || img.Bounds().Dx() != 256 {
		t.Fatalf("QR code is no 256-pixel PNG: %v", err)
	}

	now := time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)
	code := func(at time.Time) string {
		c, err := totp.GenerateCode(k.Secret, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cur := TOTPStep(now)
	for _, tc := range []struct {
		name     string
		code     string
		lastStep int64
		want     int64 // 0: refused
	}{
		{"the current code", code(now), 0, cur},
		{"the previous period's", code(now.Add(-TOTPPeriod * time.Second)), 0, cur - 1},
		{"the next period's", code(now.Add(TOTPPeriod * time.Second)), 0, cur + 1},
		{"two periods ago", code(now.Add(-2 * TOTPPeriod * time.Second)), 0, 0},
		{"two periods ahead", code(now.Add(2 * TOTPPeriod * time.Second)), 0, 0},
		{"a replay of the current step", code(now), cur, 0},
		{"an older step after a newer was used", code(now.Add(-TOTPPeriod * time.Second)), cur, 0},
		{"too short", code(now)[:5], 0, 0},
		{"too long", code(now) + "0", 0, 0},
		{"letters", "abcdef", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			step, ok := CheckTOTP(k.Secret, tc.code, now, tc.lastStep)
			if ok != (tc.want != 0) || step != tc.want {
				t.Fatalf("CheckTOTP = %d, %v; want %d", step, ok, tc.want)
			}
		})
	}
	other, _ := NewTOTP("DocuVault", "ann")
	if _, ok := CheckTOTP(other.Secret, code(now), now, 0); ok {
		t.Fatal("a code of another secret was accepted")
	}
}

func TestSecrets(t *testing.T) {
	codes := NewRecoveryCodes(RecoveryCodeCount)
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 19 || strings.Count(c, "-") != 3 || seen[c] {
			t.Fatalf("recovery code %q", c)
		}
		seen[c] = true
	}
	c := codes[0]
	typed := strings.ToUpper(strings.ReplaceAll(c, "-", " ")) + " "
	if HashRecoveryCode(typed) != HashRecoveryCode(c) {
		t.Fatal("case, spaces and dashes change a recovery code's hash")
	}
	if HashRecoveryCode(codes[1]) == HashRecoveryCode(c) {
		t.Fatal("two codes hash alike")
	}
	a, b := NewAppPassword(), NewAppPassword()
	if !strings.HasPrefix(a, AppPasswordPrefix) || len(a) < len(AppPasswordPrefix)+26 || a == b {
		t.Fatalf("app passwords %q %q", a, b)
	}
	if n := NewToken(); len(n) < 43 || n == NewToken() {
		t.Fatalf("token %q", n)
	}
	if HashToken("x") == HashToken("y") || len(HashToken("x")) != 64 {
		t.Fatal("HashToken")
	}
}

func TestScope(t *testing.T) {
	full := Scope{}
	ro := Scope{AppPassword: 1, ReadOnly: true, Prefix: "/Docs"}
	for _, m := range []string{"GET", "HEAD", "OPTIONS", "PROPFIND"} {
		if !ro.Permits(m) {
			t.Errorf("read-only refuses %s", m)
		}
	}
	for _, m := range []string{"PUT", "DELETE", "MKCOL", "COPY", "MOVE", "PROPPATCH", "LOCK", "UNLOCK", "POST", "PATCH"} {
		if ro.Permits(m) || !full.Permits(m) {
			t.Errorf("%s: read-only permits %v, full %v", m, ro.Permits(m), full.Permits(m))
		}
	}
	for name, want := range map[string]bool{"/Docs": true, "/Docs/a.txt": true, "/Docs/sub/b": true,
		"/": false, "/Docs2": false, "/Docsa/x": false, "/Other/Docs": false, "/docs": false} {
		if got := ro.Covers(name); got != want {
			t.Errorf("prefix /Docs covers %q: %v, want %v", name, got, want)
		}
		if !full.Covers(name) || !(Scope{Prefix: "/"}).Covers(name) {
			t.Errorf("the full scope does not cover %q", name)
		}
	}
}
