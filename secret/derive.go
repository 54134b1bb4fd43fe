package secret

import (
	"crypto/hkdf"
	"crypto/sha256"
)

func extract(raw []byte) []byte {
	prk, _ := hkdf.Extract(sha256.New, raw, []byte("docuvault keyring"))
	return prk
}

// Derive returns a 32-byte key for purpose (e.g. "jwt") from the current
// key with HKDF-SHA256. Every process with the same current key derives
// the same value; it changes when the current key is rotated.
func (k *Keyring) Derive(purpose string) ([]byte, error) {
	if k == nil {
		return nil, ErrNoKey
	}
	return hkdf.Expand(sha256.New, k.prk, "docuvault derive: "+purpose, 32)
}
