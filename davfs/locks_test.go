package davfs_test

import (
	"strings"
	"testing"

	"golang.org/x/net/webdav"

	"github.com/docuvault/docuvault/backends/local"
	"github.com/docuvault/docuvault/davfs"
	"github.com/docuvault/docuvault/davfs/locktest"
	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

// TestLockSystem runs the lock-system conformance suite on each dialect,
// with the replica cases on a second store opened on the same database.
func TestLockSystem(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			locktest.Run(t, func(t *testing.T) locktest.Factory {
				url := storetest.URL(t, d)
				openStore := func() *store.Store {
					st, err := store.Open(t.Context(), url)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { st.Close() })
					if _, err := st.Migrate(t.Context()); err != nil {
						t.Fatal(err)
					}
					return st
				}
				primary, replica := openStore(), openStore()
				var users [2]store.User
				var files [2]*local.Store
				for i := range users {
					u, err := primary.CreateUser(t.Context(), storetest.Name("user-"), "hash", false)
					if err != nil {
						t.Fatal(err)
					}
					b, err := local.New(t.TempDir())
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { b.Close() })
					users[i], files[i] = u, b
				}
				fsys := func(st *store.Store, u locktest.User) *davfs.FS {
					return davfs.NewFS(users[u], files[u], st, "/dav")
				}
				on := func(st *store.Store) func(locktest.User) webdav.LockSystem {
					return func(u locktest.User) webdav.LockSystem {
						return davfs.NewLockSystem(t.Context(), fsys(st, u))
					}
				}
				return locktest.Factory{
					New:     on(primary),
					Replica: on(replica),
					Put: func(u locktest.User, name, content string) string {
						t.Helper()
						if _, err := files[u].Put(t.Context(), name, strings.NewReader(content), int64(len(content))); err != nil {
							t.Fatal(err)
						}
						fi, err := fsys(primary, u).Stat(t.Context(), name)
						if err != nil {
							t.Fatal(err)
						}
						tag, err := fi.(webdav.ETager).ETag(t.Context())
						if err != nil {
							t.Fatal(err)
						}
						return tag
					},
				}
			})
		})
	}
}
