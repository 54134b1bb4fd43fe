package secret

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func newKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func TestSealOpen(t *testing.T) {
	k, err := NewKeyring(newKey())
	if err != nil {
		t.Fatal(err)
	}
	s, err := k.Seal([]byte("hunter2"), "user:1/storage:/")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s, "hunter2") || !strings.HasPrefix(s, "dv1:"+k.CurrentID()+":") {
		t.Fatalf("sealed value %q", s)
	}
	if again, _ := k.Seal([]byte("hunter2"), "user:1/storage:/"); again == s {
		t.Fatal("two seals are equal: nonce reused")
	}
	pt, err := k.Open(s, "user:1/storage:/")
	if err != nil || string(pt) != "hunter2" {
		t.Fatalf("Open = %q, %v", pt, err)
	}
	t.Run("bound to its context", func(t *testing.T) {
		if _, err := k.Open(s, "user:2/storage:/"); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("other context: %v", err)
		}
	})
	t.Run("tampering is detected", func(t *testing.T) {
		b := []byte(s)
		b[len(b)-3] ^= 1
		if _, err := k.Open(string(b), "user:1/storage:/"); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("tampered: %v", err)
		}
		for _, bad := range []string{"", "hunter2", "dv1:x", "dv2:" + k.CurrentID() + ":AAAA", "dv1:" + k.CurrentID() + ":!!"} {
			if _, err := k.Open(bad, "c"); err == nil {
				t.Errorf("Open(%q) succeeded", bad)
			}
		}
	})
}

func TestRotation(t *testing.T) {
	oldKey, newK := newKey(), newKey()
	old, _ := NewKeyring(oldKey)
	s, _ := old.Seal([]byte("tok"), "c")
	both, err := NewKeyring(newK, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := both.Open(s, "c"); err != nil || string(pt) != "tok" {
		t.Fatalf("old value under the new keyring: %q %v", pt, err)
	}
	if KeyID(s) == both.CurrentID() {
		t.Fatal("old value claims the new key")
	}
	resealed, _ := both.Seal([]byte("tok"), "c")
	if KeyID(resealed) != both.CurrentID() {
		t.Fatal("reseal not under the current key")
	}
	onlyNew, _ := NewKeyring(newK)
	if _, err := onlyNew.Open(s, "c"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("old value without the old key: %v", err)
	}
}

func TestNoKey(t *testing.T) {
	var k *Keyring
	if _, err := k.Seal([]byte("x"), "c"); !errors.Is(err, ErrNoKey) {
		t.Fatalf("Seal without a key: %v", err)
	}
	if !strings.Contains(ErrNoKey.Error(), EnvKey) {
		t.Fatal("the error does not say how to configure a key")
	}
}

func TestFromEnv(t *testing.T) {
	key := newKey()
	file := filepath.Join(t.TempDir(), "key")
	os.WriteFile(file, []byte(key+"\n"), 0o600)
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	if k, err := FromEnv(env(nil)); k != nil || err != nil {
		t.Fatalf("no configuration: %v %v", k, err)
	}
	k1, err := FromEnv(env(map[string]string{EnvKey: key}))
	if err != nil {
		t.Fatal(err)
	}
	k2, err := FromEnv(env(map[string]string{EnvKeyFile: file}))
	if err != nil || k2.CurrentID() != k1.CurrentID() {
		t.Fatalf("key file: %v", err)
	}
	for name, m := range map[string]map[string]string{
		"short key":           {EnvKey: base64.StdEncoding.EncodeToString([]byte("short"))},
		"not base64":          {EnvKey: "not base64!"},
		"both set":            {EnvKey: key, EnvKeyFile: file},
		"missing file":        {EnvKeyFile: file + ".none"},
		"old without current": {EnvOldKeys: key},
	} {
		if _, err := FromEnv(env(m)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), key) {
			t.Errorf("%s: error shows the key", name)
		}
	}
}

func TestDerive(t *testing.T) {
	key1, key2 := newKey(), newKey()
	a1, _ := NewKeyring(key1)
	a2, _ := NewKeyring(key1, key2)
	b, _ := NewKeyring(key2, key1)
	k1, err := a1.Derive("jwt")
	if err != nil || len(k1) != 32 {
		t.Fatalf("Derive = %x, %v", k1, err)
	}
	if k2, _ := a2.Derive("jwt"); string(k2) != string(k1) {
		t.Error("same current key, different derived keys")
	}
	if k3, _ := b.Derive("jwt"); string(k3) == string(k1) {
		t.Error("another current key derived the same key")
	}
	if k4, _ := a1.Derive("other"); string(k4) == string(k1) {
		t.Error("two purposes derived the same key")
	}
	var nilRing *Keyring
	if _, err := nilRing.Derive("jwt"); !errors.Is(err, ErrNoKey) {
		t.Errorf("nil keyring: %v", err)
	}
}
