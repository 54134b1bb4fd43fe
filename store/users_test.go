package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

func TestUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()

		t.Run("create and look up", func(t *testing.T) {
			u, err := st.CreateUser(ctx, "créateur", "hash-1", true)
			if err != nil {
				t.Fatal(err)
			}
			if u.ID == 0 || u.Username != "créateur" || u.PasswordHash != "hash-1" || !u.IsAdmin || u.Disabled || u.CreatedAt.IsZero() {
				t.Fatalf("created %+v", u)
			}
			byName, err := st.UserByName(ctx, "créateur")
			if err != nil || byName != u {
				t.Fatalf("UserByName = %+v, %v; want %+v", byName, err, u)
			}
			byID, err := st.UserByID(ctx, u.ID)
			if err != nil || byID != u {
				t.Fatalf("UserByID = %+v, %v; want %+v", byID, err, u)
			}
		})

		t.Run("duplicate name conflicts", func(t *testing.T) {
			u := newUser(t, st)
			_, err := st.CreateUser(ctx, u.Username, "other", false)
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("second CreateUser(%q) = %v, want ErrConflict", u.Username, err)
			}
			// Names are case-sensitive.
			if _, err := st.CreateUser(ctx, "X"+u.Username, "h", false); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("missing users are ErrNotFound", func(t *testing.T) {
			if _, err := st.UserByName(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("UserByName = %v", err)
			}
			if _, err := st.UserByID(ctx, 1<<40); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("UserByID = %v", err)
			}
			if err := st.SetPassword(ctx, 1<<40, "h"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("SetPassword = %v", err)
			}
			if err := st.SetDisabled(ctx, 1<<40, true); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("SetDisabled = %v", err)
			}
			if err := st.DeleteUser(ctx, 1<<40); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("DeleteUser = %v", err)
			}
		})

		t.Run("password and disabling bump AuthVersion", func(t *testing.T) {
			u := newUser(t, st)
			v := u.AuthVersion
			get := func() store.User {
				t.Helper()
				got, err := st.UserByID(ctx, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				return got
			}
			if err := st.SetPassword(ctx, u.ID, "new-hash"); err != nil {
				t.Fatal(err)
			}
			got := get()
			if got.PasswordHash != "new-hash" || got.AuthVersion <= v {
				t.Fatalf("after SetPassword: hash %q version %d (was %d)", got.PasswordHash, got.AuthVersion, v)
			}
			v = got.AuthVersion
			if err := st.SetDisabled(ctx, u.ID, true); err != nil {
				t.Fatal(err)
			}
			if got = get(); !got.Disabled || got.AuthVersion <= v {
				t.Fatalf("after SetDisabled(true): disabled %v version %d (was %d)", got.Disabled, got.AuthVersion, v)
			}
			v = got.AuthVersion
			if err := st.SetDisabled(ctx, u.ID, false); err != nil {
				t.Fatal(err)
			}
			if got = get(); got.Disabled || got.AuthVersion <= v {
				t.Fatalf("after SetDisabled(false): disabled %v version %d (was %d)", got.Disabled, got.AuthVersion, v)
			}
		})

		t.Run("delete removes props and locks", func(t *testing.T) {
			gone, kept := newUser(t, st), newUser(t, st)
			now := time.Now()
			for i, u := range []store.User{gone, kept} {
				if err := st.PatchProps(ctx, u.ID, "/doc", []store.PropOp{{Prop: store.Prop{Space: "urn:x", Local: "p", XML: "v"}}}); err != nil {
					t.Fatal(err)
				}
				l := store.Lock{Token: storetest.Name("urn:t:"), UserID: u.ID, Root: "/doc", Timeout: -1}
				if err := st.CreateLock(ctx, l, now); err != nil {
					t.Fatalf("lock %d: %v", i, err)
				}
			}
			if err := st.DeleteUser(ctx, gone.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := st.UserByID(ctx, gone.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("UserByID after delete = %v", err)
			}
			if p, _ := st.Props(ctx, gone.ID, "/doc"); len(p) != 0 {
				t.Errorf("props left behind: %v", p)
			}
			if l, _ := st.Locks(ctx, gone.ID, now); len(l) != 0 {
				t.Errorf("locks left behind: %v", l)
			}
			if p, _ := st.Props(ctx, kept.ID, "/doc"); len(p) != 1 {
				t.Errorf("other user's props: %v", p)
			}
			if l, _ := st.Locks(ctx, kept.ID, now); len(l) != 1 {
				t.Errorf("other user's locks: %v", l)
			}
			if err := st.DeleteUser(ctx, gone.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("second DeleteUser = %v", err)
			}
			if _, err := st.CreateUser(ctx, gone.Username, "h", false); err != nil {
				t.Errorf("reusing a deleted name: %v", err)
			}
		})
	})
}

func TestUsersList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		if us, err := st.Users(ctx); err != nil || len(us) != 0 {
			t.Fatalf("empty store: Users = %v, %v", us, err)
		}
		names := []string{"bob", "Zed", "alice", "émile", "Alice", "zoë", "a.b", "a_b", "a-b", "0"}
		for _, n := range names {
			if _, err := st.CreateUser(ctx, n, "h", false); err != nil {
				t.Fatal(err)
			}
		}
		t.Run("ordered by name bytes", func(t *testing.T) {
			us, err := st.Users(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range us {
				got = append(got, u.Username)
			}
			want := slices.Sorted(slices.Values(names))
			if !slices.Equal(got, want) {
				t.Fatalf("Users order\n got %q\nwant %q", got, want)
			}
		})
		t.Run("count", func(t *testing.T) {
			if n, err := st.CountUsers(ctx); err != nil || n != len(names) {
				t.Fatalf("CountUsers = %d, %v; want %d", n, err, len(names))
			}
		})
	})
}
