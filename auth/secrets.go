package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// AppPasswordPrefix starts every app password, so a WebDAV request can
// tell one from an account password without a database lookup.
const AppPasswordPrefix = "dvap_"

// NewToken returns an opaque random token of 256 bits (refresh tokens,
// session ids, invite codes).
func NewToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is the SHA-256 (hex) under which a random token, app password
// or recovery code is stored. A fast hash suffices: the inputs carry at
// least 80 random bits, so there is nothing to guess offline.
func HashToken(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// NewAppPassword returns a new app password: the prefix and 130 random bits.
func NewAppPassword() string { return AppPasswordPrefix + rand.Text() }

// RecoveryCodeCount is how many recovery codes a user gets at a time.
const RecoveryCodeCount = 10

// NewRecoveryCodes returns n codes of 80 random bits, formatted
// "abcd-efgh-ijkl-mnop" for reading aloud and typing.
func NewRecoveryCodes(n int) []string {
	out := make([]string, n)
	for i := range out {
		s := strings.ToLower(rand.Text()[:16])
		out[i] = s[:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:]
	}
	return out
}

// HashRecoveryCode hashes a recovery code as typed: case, spaces and
// dashes do not matter.
func HashRecoveryCode(code string) string {
	code = strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(code)))
	return HashToken("recovery:" + code)
}
