package storage_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/docuvault/docuvault/backends"
	"github.com/docuvault/docuvault/backends/local"
	"github.com/docuvault/docuvault/secret"
	"github.com/docuvault/docuvault/storage"
	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

// fakeRemote stands in for a remote kind ("s3"): endpoint "up:9000" is a
// local folder, any other endpoint cannot be reached; down makes every
// endpoint unreachable.
type fakeRemote struct {
	dir   string
	opens atomic.Int64
	down  atomic.Bool
}

func (f *fakeRemote) open(_ context.Context, s storage.Spec) (backends.Backend, error) {
	f.opens.Add(1)
	if s.Endpoint != "up:9000" || f.down.Load() {
		return nil, fmt.Errorf("dial %s: %w", s.Endpoint, backends.ErrUnavailable)
	}
	return local.New(f.dir)
}

func remoteSpec(endpoint, secretKey string) storage.Spec {
	s := storage.Spec{Kind: storage.S3, Endpoint: endpoint, Bucket: "b", AccessKey: "AK"}
	if secretKey != "" {
		s.Secrets = map[string]string{"secret_key": secretKey}
	}
	return s
}

func TestApply(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		remote := &fakeRemote{dir: t.TempDir()}
		op := &storage.Opener{DataDir: t.TempDir(), Store: st, Keys: keyring(t),
			Drivers: map[string]func(context.Context, storage.Spec) (backends.Backend, error){storage.S3: remote.open}}
		u, err := st.CreateUser(ctx, "ann", "h", false)
		if err != nil {
			t.Fatal(err)
		}
		rows := func() []store.Storage {
			t.Helper()
			r, err := st.Storages(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		usage := func() int64 {
			t.Helper()
			got, err := st.UserByID(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got.UsedBytes
		}

		t.Run("an invalid spec is refused before anything is opened", func(t *testing.T) {
			err := storage.Apply(ctx, st, op, u, "/", remoteSpec("up:9000", ""), true)
			var inv *storage.InvalidError
			if !errors.As(err, &inv) || !strings.Contains(err.Error(), "secret") {
				t.Fatalf("Apply without a secret: %v", err)
			}
			if remote.opens.Load() != 0 || len(rows()) != 0 {
				t.Fatal("an invalid spec was opened or saved")
			}
		})
		t.Run("a secret needs a key", func(t *testing.T) {
			noKey := &storage.Opener{DataDir: op.DataDir, Store: st, Drivers: op.Drivers}
			err := storage.Apply(ctx, st, noKey, u, "/", remoteSpec("up:9000", "sk"), true)
			if !errors.Is(err, secret.ErrNoKey) || remote.opens.Load() != 0 || len(rows()) != 0 {
				t.Fatalf("Apply without a key: %v (opened %d)", err, remote.opens.Load())
			}
		})
		t.Run("an unreachable storage is not saved", func(t *testing.T) {
			err := storage.Apply(ctx, st, op, u, "/Remote", remoteSpec("down:1", "sk"), true)
			var ce *storage.CheckError
			if !errors.As(err, &ce) || !errors.Is(err, backends.ErrUnavailable) || len(rows()) != 0 {
				t.Fatalf("Apply of an unreachable storage: %v, rows %v", err, rows())
			}
			if strings.Contains(err.Error(), "sk") {
				t.Fatalf("the error shows the secret: %v", err)
			}
		})
		t.Run("saved sealed and counted", func(t *testing.T) {
			os.WriteFile(filepath.Join(remote.dir, "r.txt"), []byte("12345"), 0o600)
			if err := storage.Apply(ctx, st, op, u, "/Remote", remoteSpec("up:9000", "remote-secret-key"), true); err != nil {
				t.Fatal(err)
			}
			r := rows()
			if len(r) != 1 || r[0].Mount != "/Remote" || r[0].Secrets == "" || strings.Contains(r[0].Config+r[0].Secrets, "remote-secret-key") {
				t.Fatalf("rows = %+v", r)
			}
			if n := usage(); n != 5 {
				t.Fatalf("usage %d, want the 5 bytes on /Remote", n)
			}
			ns, err := op.For(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ns.Stat(ctx, "/Remote/r.txt"); err != nil {
				t.Fatalf("the namespace does not show the new mount at once: %v", err)
			}
		})
		t.Run("a missing secret is kept for the same account", func(t *testing.T) {
			same := remoteSpec("up:9000", "")
			same.Prefix = "p"
			if err := storage.Apply(ctx, st, op, u, "/Remote", same, true); err != nil {
				t.Fatal(err)
			}
			spec, err := storage.SpecOf(rows()[0], op.Keys)
			if err != nil || spec.Secrets["secret_key"] != "remote-secret-key" || spec.Prefix != "p" {
				t.Fatalf("after re-applying without the secret: %+v, %v", spec, err)
			}
			for name, s := range map[string]storage.Spec{
				"another endpoint":   remoteSpec("elsewhere:9000", ""),
				"another access key": {Kind: storage.S3, Endpoint: "up:9000", Bucket: "b", AccessKey: "other"},
				"another mount":      remoteSpec("up:9000", ""),
			} {
				mount := "/Remote"
				if name == "another mount" {
					mount = "/Other"
				}
				var inv *storage.InvalidError
				if err := storage.Apply(ctx, st, op, u, mount, s, false); !errors.As(err, &inv) {
					t.Errorf("%s: the stored secret was reused: %v", name, err)
				}
			}
		})
		t.Run("saved but not counted", func(t *testing.T) {
			remote.down.Store(true)
			defer remote.down.Store(false)
			err := storage.Apply(ctx, st, op, u, "/", storage.Spec{Kind: storage.Local}, true)
			if !errors.Is(err, storage.ErrNotCounted) {
				t.Fatalf("Apply with /Remote down: %v", err)
			}
			if r := rows(); len(r) != 2 || r[0].Mount != "/" {
				t.Fatalf("the home was not saved: %+v", r)
			}
		})
		t.Run("remove", func(t *testing.T) {
			if err := storage.Remove(ctx, st, op, u, "/"); !errors.Is(err, storage.ErrHome) {
				t.Fatalf("removing the home: %v", err)
			}
			var inv *storage.InvalidError
			if err := storage.Remove(ctx, st, op, u, "/a/b"); !errors.As(err, &inv) {
				t.Fatalf("removing /a/b: %v", err)
			}
			if err := storage.Remove(ctx, st, op, u, "/Remote"); err != nil {
				t.Fatal(err)
			}
			if n := usage(); n != 0 {
				t.Fatalf("usage %d after unmounting /Remote", n)
			}
			if err := storage.Remove(ctx, st, op, u, "/Remote"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("removing it again: %v", err)
			}
		})
	})
}
