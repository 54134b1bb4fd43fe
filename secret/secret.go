// Package secret seals small secrets (storage credentials, OAuth tokens,
// TOTP seeds) for storage in the database with AES-256-GCM.
//
// A sealed value reads "dv1:<key id>:<base64 nonce+ciphertext>". The key id
// (a hash prefix of the key) names the key that sealed it, so a new key can
// be introduced while the old ones still open what they sealed, and
// `docuvault rotate-key` reseals everything under the current key. Each value
// is bound to a context string (e.g. the row it belongs to), so a sealed
// value copied into another row does not open.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Environment variables that configure the keyring.
const (
	EnvKey     = "DOCUVAULT_ENCRYPTION_KEY"      // base64 of 32 random bytes
	EnvKeyFile = "DOCUVAULT_ENCRYPTION_KEY_FILE" // a file holding the same
	EnvOldKeys = "DOCUVAULT_OLD_ENCRYPTION_KEYS" // comma-separated, for rotation
)

// Errors callers can match.
var (
	ErrNoKey      = errors.New("no encryption key: set " + EnvKey + " (32 random bytes, base64; e.g. `openssl rand -base64 32`) or " + EnvKeyFile)
	ErrUnknownKey = errors.New("secret: sealed with a key that is not configured (add it to " + EnvOldKeys + ")")
	ErrCorrupt    = errors.New("secret: sealed value is corrupt or belongs elsewhere")
)

const prefix = "dv1"

// Keyring seals with its current key and opens with any of its keys. A nil
// *Keyring has no key: Seal and Open fail with ErrNoKey.
type Keyring struct {
	current string
	aeads   map[string]cipher.AEAD
	prk     []byte // HKDF pseudorandom key of the current key, for Derive
}

// NewKeyring builds a keyring from base64 keys; the first is current.
func NewKeyring(keys ...string) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, ErrNoKey
	}
	k := &Keyring{aeads: map[string]cipher.AEAD{}}
	for i, s := range keys {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("secret: key %d: want 32 bytes in base64", i+1)
		}
		block, _ := aes.NewCipher(raw)
		aead, _ := cipher.NewGCM(block)
		sum := sha256.Sum256(raw)
		id := hex.EncodeToString(sum[:4])
		if i == 0 {
			k.current = id
			k.prk = extract(raw)
		}
		k.aeads[id] = aead
	}
	return k, nil
}

// FromEnv builds the keyring from the environment; it returns (nil, nil)
// when no key is configured, so the server can run until a secret is needed.
func FromEnv(getenv func(string) string) (*Keyring, error) {
	cur := getenv(EnvKey)
	if f := getenv(EnvKeyFile); f != "" {
		if cur != "" {
			return nil, fmt.Errorf("set only one of %s and %s", EnvKey, EnvKeyFile)
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvKeyFile, err)
		}
		cur = string(b)
	}
	if cur == "" {
		if getenv(EnvOldKeys) != "" {
			return nil, fmt.Errorf("%s is set but %s is not", EnvOldKeys, EnvKey)
		}
		return nil, nil
	}
	keys := []string{cur}
	for _, s := range strings.Split(getenv(EnvOldKeys), ",") {
		if strings.TrimSpace(s) != "" {
			keys = append(keys, s)
		}
	}
	k, err := NewKeyring(keys...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvKey, err)
	}
	return k, nil
}

// CurrentID names the key new values are sealed with.
func (k *Keyring) CurrentID() string {
	if k == nil {
		return ""
	}
	return k.current
}

// Seal encrypts plaintext bound to context.
func (k *Keyring) Seal(plaintext []byte, context string) (string, error) {
	if k == nil {
		return "", ErrNoKey
	}
	aead := k.aeads[k.current]
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	ct := aead.Seal(nonce, nonce, plaintext, []byte(context))
	return prefix + ":" + k.current + ":" + base64.RawStdEncoding.EncodeToString(ct), nil
}

// KeyID returns the id of the key that sealed s.
func KeyID(s string) string {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) != 3 || parts[0] != prefix {
		return ""
	}
	return parts[1]
}

// Open decrypts a value sealed with the same context.
func (k *Keyring) Open(s, context string) ([]byte, error) {
	if k == nil {
		return nil, ErrNoKey
	}
	parts := strings.SplitN(s, ":", 3)
	if len(parts) != 3 || parts[0] != prefix {
		return nil, ErrCorrupt
	}
	aead, ok := k.aeads[parts[1]]
	if !ok {
		return nil, ErrUnknownKey
	}
	raw, err := base64.RawStdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) < aead.NonceSize() {
		return nil, ErrCorrupt
	}
	pt, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(context))
	if err != nil {
		return nil, ErrCorrupt
	}
	return pt, nil
}
