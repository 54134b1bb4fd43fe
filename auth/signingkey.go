package auth

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/docuvault/docuvault/secret"
)

// EnvJWTKey configures the key that signs access tokens.
const EnvJWTKey = "DOCUVAULT_JWT_KEY"

// SigningKey chooses the HS256 key for access tokens, in this order:
//
//  1. $DOCUVAULT_JWT_KEY: base64 of at least 32 random bytes;
//  2. derived from the encryption key (secret.Keyring.Derive), so replicas
//     sharing DOCUVAULT_ENCRYPTION_KEY agree without storing another secret;
//     rotating that key voids outstanding access tokens, which clients
//     replace through their refresh cookie;
//  3. a random key for this process: tokens then do not survive a restart
//     nor travel between replicas (clients refresh on the 401).
//
// It returns the key and a description of its source for the log.
func SigningKey(getenv func(string) string, keys *secret.Keyring) ([]byte, string, error) {
	if v := strings.TrimSpace(getenv(EnvJWTKey)); v != "" {
		k, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(k) < 32 {
			return nil, "", fmt.Errorf("%s: want base64 of at least 32 random bytes (e.g. `openssl rand -base64 32`)", EnvJWTKey)
		}
		return k, EnvJWTKey, nil
	}
	if keys != nil {
		k, err := keys.Derive("jwt")
		if err != nil {
			return nil, "", err
		}
		return k, "derived from " + secret.EnvKey, nil
	}
	k := make([]byte, 32)
	rand.Read(k)
	return k, "random per process (set " + EnvJWTKey + " or " + secret.EnvKey + " to share it between replicas and restarts)", nil
}
