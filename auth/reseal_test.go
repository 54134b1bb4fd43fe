package auth

import (
	"crypto/rand"
	"encoding/base64"
	"testing"
	"time"

	"github.com/docuvault/docuvault/secret"
	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

func TestResealTOTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		newKey := func() string {
			b := make([]byte, 32)
			rand.Read(b)
			return base64.StdEncoding.EncodeToString(b)
		}
		oldKey, curKey := newKey(), newKey()
		old, _ := secret.NewKeyring(oldKey)
		rotated, _ := secret.NewKeyring(curKey, oldKey)
		var users []store.User
		for _, name := range []string{"a", "b"} {
			u, err := st.CreateUser(ctx, name, "h", false)
			if err != nil {
				t.Fatal(err)
			}
			sealed, _ := old.Seal([]byte("SECRET-"+name), TOTPSealContext(u.ID))
			if err := st.PutPendingTOTP(ctx, u.ID, sealed, time.Now()); err != nil {
				t.Fatal(err)
			}
			users = append(users, u)
		}
		if err := st.EnableTOTP(ctx, users[0].ID, 1, nil); err != nil {
			t.Fatal(err)
		}
		n, err := ResealTOTP(ctx, st, rotated)
		if err != nil || n != 2 {
			t.Fatalf("ResealTOTP = %d, %v", n, err)
		}
		current, _ := secret.NewKeyring(curKey) // the old key is gone now
		for _, u := range users {
			row, _ := st.TOTPOf(ctx, u.ID)
			plain, err := current.Open(row.Secret, TOTPSealContext(u.ID))
			if err != nil || string(plain) != "SECRET-"+u.Username {
				t.Fatalf("user %s: %q %v", u.Username, plain, err)
			}
		}
		if n, err := ResealTOTP(ctx, st, rotated); n != 0 || err != nil {
			t.Fatalf("second run = %d, %v", n, err)
		}
		if err := st.ResealTOTP(ctx, users[0].ID, "stale", "x"); err == nil {
			t.Fatal("ResealTOTP over a changed secret succeeded")
		}
	})
}
