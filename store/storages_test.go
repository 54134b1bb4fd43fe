package store_test

import (
	"errors"
	"testing"

	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

func TestStorages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		a, b := newUser(t, st), newUser(t, st)
		home := store.Storage{UserID: a.ID, Mount: "/", Kind: "s3", Config: `{"bucket":"x"}`, Secrets: "dv1:k:sealed"}
		work := store.Storage{UserID: a.ID, Mount: "/Work", Kind: "webdav", Config: `{}`}
		for _, s := range []store.Storage{work, home, {UserID: b.ID, Mount: "/", Kind: "local", Config: `{}`}} {
			if err := st.PutStorage(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		got, err := st.Storages(ctx, a.ID)
		if err != nil || len(got) != 2 || got[0].Mount != "/" || got[1].Mount != "/Work" ||
			got[0].Secrets != home.Secrets || got[0].Config != home.Config || got[0].UpdatedAt.IsZero() {
			t.Fatalf("storages of a = %+v, %v", got, err)
		}
		t.Run("replace", func(t *testing.T) {
			home.Kind, home.Config = "local", `{"dir":"/srv"}`
			if err := st.PutStorage(ctx, home); err != nil {
				t.Fatal(err)
			}
			got, _ := st.Storages(ctx, a.ID)
			if got[0].Kind != "local" || got[0].Config != home.Config {
				t.Fatalf("after replace: %+v", got[0])
			}
		})
		t.Run("delete", func(t *testing.T) {
			if err := st.DeleteStorage(ctx, a.ID, "/Work"); err != nil {
				t.Fatal(err)
			}
			if err := st.DeleteStorage(ctx, a.ID, "/Work"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("second delete: %v", err)
			}
			if got, _ := st.Storages(ctx, b.ID); len(got) != 1 {
				t.Fatalf("b's storage touched: %+v", got)
			}
		})
		t.Run("all, and gone with the user", func(t *testing.T) {
			all, _ := st.AllStorages(ctx)
			if len(all) != 2 {
				t.Fatalf("all = %+v", all)
			}
			if err := st.DeleteUser(ctx, b.ID); err != nil {
				t.Fatal(err)
			}
			if got, _ := st.Storages(ctx, b.ID); len(got) != 0 {
				t.Fatalf("storages of a deleted user: %+v", got)
			}
		})
	})
}

func TestQuotaUsage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		u := newUser(t, st)
		if u.QuotaBytes != 0 || u.Available() != -1 {
			t.Fatalf("new user: quota %d available %d", u.QuotaBytes, u.Available())
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(st.SetQuota(ctx, u.ID, 1000))
		must(st.AddUsage(ctx, u.ID, 300))
		must(st.AddUsage(ctx, u.ID, 500))
		must(st.AddUsage(ctx, u.ID, -100))
		u, _ = st.UserByID(ctx, u.ID)
		if u.UsedBytes != 700 || u.Available() != 300 {
			t.Fatalf("used %d available %d, want 700 and 300", u.UsedBytes, u.Available())
		}
		must(st.AddUsage(ctx, u.ID, -5000))
		u, _ = st.UserByID(ctx, u.ID)
		if u.UsedBytes != 0 {
			t.Fatalf("usage went to %d, want clamped at 0", u.UsedBytes)
		}
		must(st.SetUsage(ctx, u.ID, 1500))
		u, _ = st.UserByID(ctx, u.ID)
		if u.Available() != 0 {
			t.Fatalf("over quota: available %d, want 0", u.Available())
		}
		if err := st.AddUsage(ctx, 99999, 1); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("usage of a missing user: %v", err)
		}
	})
}
