package storage_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/backends/mount"
	"github.com/docuvault/docuvault/secret"
	"github.com/docuvault/docuvault/storage"
	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

func keyring(t *testing.T) *secret.Keyring {
	b := make([]byte, 32)
	rand.Read(b)
	k, err := secret.NewKeyring(base64.StdEncoding.EncodeToString(b))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestValidate(t *testing.T) {
	ok := map[string]storage.Spec{
		"local default": {Kind: storage.Local},
		"local dir":     {Kind: storage.Local, Dir: "/srv/files"},
		"s3":            {Kind: storage.S3, Endpoint: "minio:9000", Bucket: "b", AccessKey: "a", Secrets: map[string]string{"secret_key": "s"}},
		"webdav":        {Kind: storage.WebDAV, URL: "https://x/", Username: "u", Secrets: map[string]string{"password": "p"}},
	}
	for name, s := range ok {
		if err := s.Validate("/"); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	bad := map[string]struct {
		spec  storage.Spec
		mount string
	}{
		"kind":          {storage.Spec{Kind: "ftp"}, "/"},
		"relative dir":  {storage.Spec{Kind: storage.Local, Dir: "files"}, "/"},
		"s3 no secret":  {storage.Spec{Kind: storage.S3, Endpoint: "m:9000", Bucket: "b", AccessKey: "a"}, "/"},
		"s3 scheme":     {storage.Spec{Kind: storage.S3, Endpoint: "http://m", Bucket: "b", AccessKey: "a", Secrets: map[string]string{"secret_key": "s"}}, "/"},
		"webdav no url": {storage.Spec{Kind: storage.WebDAV, Username: "u", Secrets: map[string]string{"password": "p"}}, "/"},
		"webdav ftp":    {storage.Spec{Kind: storage.WebDAV, URL: "ftp://x", Username: "u", Secrets: map[string]string{"password": "p"}}, "/"},
		"nested mount":  {storage.Spec{Kind: storage.Local}, "/a/b"},
		"empty mount":   {storage.Spec{Kind: storage.Local}, ""},
		"dot-dot mount": {storage.Spec{Kind: storage.Local, Dir: "/srv/x"}, "/.."},
		// The default folder is the home's; a mount needs its own.
		"local mount without dir": {storage.Spec{Kind: storage.Local}, "/Work"},
		"dir on s3": {storage.Spec{Kind: storage.S3, Endpoint: "m:9000", Bucket: "b", AccessKey: "a", Dir: "/etc",
			Secrets: map[string]string{"secret_key": "s"}}, "/"},
		"tls on webdav":      {storage.Spec{Kind: storage.WebDAV, URL: "https://x/", Username: "u", UseTLS: true, Secrets: map[string]string{"password": "p"}}, "/"},
		"secret on local":    {storage.Spec{Kind: storage.Local, Secrets: map[string]string{"password": "p"}}, "/"},
		"password in url":    {storage.Spec{Kind: storage.WebDAV, URL: "https://u:p@x/", Username: "u", Secrets: map[string]string{"password": "p"}}, "/"},
		"webdav url no host": {storage.Spec{Kind: storage.WebDAV, URL: "https:///files", Username: "u", Secrets: map[string]string{"password": "p"}}, "/"},
	}
	for name, c := range bad {
		if err := c.spec.Validate(c.mount); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	t.Run("errors name the fields", func(t *testing.T) {
		s := storage.Spec{Kind: storage.S3, Endpoint: "m:9000", URL: "https://x/"}
		err := s.Validate("/")
		for _, field := range []string{"bucket", "access_key", "secret", "url"} {
			if err == nil || !strings.Contains(err.Error(), field) {
				t.Errorf("the error does not name %s: %v", field, err)
			}
		}
	})
}

func TestRowSealsSecrets(t *testing.T) {
	keys := keyring(t)
	spec := storage.Spec{Kind: storage.WebDAV, URL: "https://x/", Username: "u", Secrets: map[string]string{"password": "very-secret"}}
	row, err := storage.Row(7, "/Cloud", spec, keys)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(row.Config+row.Secrets, "very-secret") || !strings.Contains(row.Config, "https://x/") {
		t.Fatalf("row = %+v", row)
	}
	back, err := storage.SpecOf(row, keys)
	if err != nil || back.Secrets["password"] != "very-secret" || back.URL != "https://x/" {
		t.Fatalf("SpecOf = %+v, %v", back, err)
	}
	t.Run("a row's secret does not open in another row", func(t *testing.T) {
		moved := row
		moved.UserID = 8
		if _, err := storage.SpecOf(moved, keys); err == nil {
			t.Fatal("a sealed secret opened for another user")
		}
	})
	t.Run("no key, no secret", func(t *testing.T) {
		if _, err := storage.Row(7, "/", spec, nil); err == nil {
			t.Fatal("sealed without a key")
		}
	})
	t.Run("reseal", func(t *testing.T) {
		newKeys := keyring(t)
		if _, err := storage.Reseal(&row, newKeys); err == nil {
			t.Fatal("resealed without the old key")
		}
	})
}

func TestOpener(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	u, _ := st.CreateUser(ctx, "ann", "h", false)
	op := &storage.Opener{DataDir: t.TempDir(), Store: st, Keys: keyring(t)}

	home, err := op.For(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := op.For(ctx, u); again != home {
		t.Fatal("the namespace is reopened on every request")
	}
	home.Put(ctx, "/a.txt", strings.NewReader("a"), 1)

	work := t.TempDir()
	row, _ := storage.Row(u.ID, "/Work", storage.Spec{Kind: storage.Local, Dir: work}, op.Keys)
	if err := st.PutStorage(ctx, row); err != nil {
		t.Fatal(err)
	}
	ns, err := op.For(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ns.(*mount.Store); !ok {
		t.Fatalf("after mounting /Work the namespace is a %T", ns)
	}
	list, _ := ns.List(ctx, "/")
	if len(list) != 2 {
		t.Fatalf("root lists %+v, want a.txt and Work", list)
	}
	t.Run("an unknown kind is a clear error", func(t *testing.T) {
		bad, _ := storage.Row(u.ID, "/X", storage.Spec{Kind: storage.S3}, op.Keys)
		st.PutStorage(ctx, bad)
		_, err := op.For(ctx, u)
		if err == nil || !strings.Contains(err.Error(), "not available") {
			t.Fatalf("opening a kind without a driver: %v", err)
		}
		st.DeleteStorage(ctx, u.ID, "/X")
		if _, err := op.For(ctx, u); err != nil {
			t.Fatalf("after removing it: %v", err)
		}
	})
	var _ backends.Backend = ns
}
