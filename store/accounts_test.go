package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

func TestAppPasswords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		u, other := newUser(t, st), newUser(t, st)
		created := time.Unix(1_800_000_000, 0)
		a, err := st.CreateAppPassword(ctx, store.AppPassword{UserID: u.ID, Name: "laptop", ReadOnly: true,
			PathPrefix: "/Docs", ExpiresAt: created.Add(time.Hour), CreatedAt: created}, "hash-a")
		if err != nil {
			t.Fatal(err)
		}
		b, err := st.CreateAppPassword(ctx, store.AppPassword{UserID: u.ID, Name: "phone", CreatedAt: created}, "hash-b")
		if err != nil {
			t.Fatal(err)
		}
		if b.PathPrefix != "/" || !b.ExpiresAt.IsZero() || b.Expired(created.Add(1000*time.Hour)) {
			t.Fatalf("defaults: %+v", b)
		}
		if !a.Expired(created.Add(time.Hour)) || a.Expired(created) {
			t.Fatalf("expiry of %+v", a)
		}

		t.Run("looked up by hash", func(t *testing.T) {
			got, err := st.AppPasswordByHash(ctx, "hash-a")
			if err != nil || got != a {
				t.Fatalf("AppPasswordByHash = %+v, %v; want %+v", got, err, a)
			}
			if _, err := st.AppPasswordByHash(ctx, "hash-x"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("unknown hash: %v", err)
			}
		})
		t.Run("a hash is unique", func(t *testing.T) {
			if _, err := st.CreateAppPassword(ctx, store.AppPassword{UserID: other.ID, Name: "x"}, "hash-a"); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("duplicate hash: %v", err)
			}
		})
		t.Run("use is recorded", func(t *testing.T) {
			when := created.Add(time.Minute)
			if err := st.TouchAppPassword(ctx, b.ID, when, "192.0.2.7"); err != nil {
				t.Fatal(err)
			}
			got, _ := st.AppPasswordByHash(ctx, "hash-b")
			if !got.LastUsedAt.Equal(when) || got.LastUsedAddr != "192.0.2.7" {
				t.Fatalf("after touch: %+v", got)
			}
		})
		t.Run("listed per user", func(t *testing.T) {
			list, err := st.AppPasswords(ctx, u.ID)
			if err != nil || len(list) != 2 || list[0].Name != "laptop" || list[1].Name != "phone" {
				t.Fatalf("AppPasswords = %+v, %v", list, err)
			}
			if list, _ := st.AppPasswords(ctx, other.ID); len(list) != 0 {
				t.Fatalf("other user's list: %+v", list)
			}
		})
		t.Run("revoked only by its owner", func(t *testing.T) {
			if err := st.DeleteAppPassword(ctx, other.ID, a.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("another user revoked it: %v", err)
			}
			if err := st.DeleteAppPassword(ctx, u.ID, a.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := st.AppPasswordByHash(ctx, "hash-a"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("revoked password still found: %v", err)
			}
		})
		t.Run("deleted with the user", func(t *testing.T) {
			if err := st.DeleteUser(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := st.AppPasswordByHash(ctx, "hash-b"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("password of a deleted user: %v", err)
			}
		})
	})
}

func TestTOTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		now := time.Unix(1_800_000_000, 0)
		u := newUser(t, st)
		enabled := func() bool {
			t.Helper()
			got, err := st.UserByID(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got.TOTPEnabled
		}

		if _, err := st.TOTPOf(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("TOTPOf before enrolment: %v", err)
		}
		if err := st.AcceptTOTPStep(ctx, u.ID, 5); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("AcceptTOTPStep without TOTP: %v", err)
		}
		if err := st.PutPendingTOTP(ctx, u.ID, "sealed-1", now); err != nil {
			t.Fatal(err)
		}
		if err := st.PutPendingTOTP(ctx, u.ID, "sealed-2", now); err != nil {
			t.Fatalf("replacing a pending secret: %v", err)
		}
		if got, _ := st.TOTPOf(ctx, u.ID); got.Secret != "sealed-2" || got.Enabled {
			t.Fatalf("pending: %+v", got)
		}
		if enabled() {
			t.Fatal("a pending secret counts as enabled")
		}
		if err := st.AcceptTOTPStep(ctx, u.ID, 5); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a pending secret accepted a code: %v", err)
		}

		codes := []string{"c1", "c2", "c3"}
		if err := st.EnableTOTP(ctx, u.ID, 100, codes); err != nil {
			t.Fatal(err)
		}
		if !enabled() {
			t.Fatal("User.TOTPEnabled false after EnableTOTP")
		}
		if err := st.EnableTOTP(ctx, u.ID, 101, codes); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("enabling twice: %v", err)
		}
		if err := st.PutPendingTOTP(ctx, u.ID, "sealed-3", now); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("enrolling over an enabled secret: %v", err)
		}
		if got, _ := st.TOTPOf(ctx, u.ID); got.Secret != "sealed-2" || !got.Enabled || got.LastStep != 100 {
			t.Fatalf("enabled: %+v", got)
		}

		t.Run("steps are accepted once, in order", func(t *testing.T) {
			for _, step := range []int64{100, 99} {
				if err := st.AcceptTOTPStep(ctx, u.ID, step); !errors.Is(err, store.ErrConflict) {
					t.Fatalf("step %d after 100: %v", step, err)
				}
			}
			if err := st.AcceptTOTPStep(ctx, u.ID, 101); err != nil {
				t.Fatal(err)
			}
			if err := st.AcceptTOTPStep(ctx, u.ID, 101); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("replay of step 101: %v", err)
			}
		})

		t.Run("recovery codes are single-use", func(t *testing.T) {
			if n, _ := st.RecoveryCodesLeft(ctx, u.ID); n != 3 {
				t.Fatalf("left = %d", n)
			}
			if err := st.UseRecoveryCode(ctx, u.ID, "c2", now); err != nil {
				t.Fatal(err)
			}
			if err := st.UseRecoveryCode(ctx, u.ID, "c2", now); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("second use: %v", err)
			}
			if err := st.UseRecoveryCode(ctx, u.ID, "zz", now); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("unknown code: %v", err)
			}
			other := newUser(t, st)
			if err := st.UseRecoveryCode(ctx, other.ID, "c1", now); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("another user's code: %v", err)
			}
			if n, _ := st.RecoveryCodesLeft(ctx, u.ID); n != 2 {
				t.Fatalf("left = %d", n)
			}
			if err := st.ReplaceRecoveryCodes(ctx, u.ID, []string{"n1"}); err != nil {
				t.Fatal(err)
			}
			if err := st.UseRecoveryCode(ctx, u.ID, "c1", now); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("replaced code still works: %v", err)
			}
			if n, _ := st.RecoveryCodesLeft(ctx, u.ID); n != 1 {
				t.Fatalf("left after replace = %d", n)
			}
		})

		t.Run("delete turns 2FA off", func(t *testing.T) {
			if err := st.DeleteTOTP(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
			if enabled() {
				t.Fatal("still enabled")
			}
			if n, _ := st.RecoveryCodesLeft(ctx, u.ID); n != 0 {
				t.Fatalf("recovery codes left: %d", n)
			}
			if err := st.PutPendingTOTP(ctx, u.ID, "sealed-4", now); err != nil {
				t.Fatalf("enrolling again: %v", err)
			}
			if got, _ := st.TOTPOf(ctx, u.ID); got.LastStep != 0 {
				t.Fatalf("new enrolment kept the old step: %+v", got)
			}
		})
	})
}

func TestEmailAndInvites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		now := time.Unix(1_800_000_000, 0)

		t.Run("e-mail", func(t *testing.T) {
			u, err := st.AddUser(ctx, store.NewUser{Username: "mel", Email: "mel@example.org", PasswordHash: "h"})
			if err != nil || u.Email != "mel@example.org" {
				t.Fatalf("AddUser = %+v, %v", u, err)
			}
			got, err := st.UserByEmail(ctx, "mel@example.org")
			if err != nil || got.ID != u.ID {
				t.Fatalf("UserByEmail = %+v, %v", got, err)
			}
			if _, err := st.AddUser(ctx, store.NewUser{Username: "mel2", Email: "mel@example.org", PasswordHash: "h"}); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("taken e-mail: %v", err)
			}
			// Many users without an e-mail.
			a, b := newUser(t, st), newUser(t, st)
			if a.Email != "" || b.Email != "" {
				t.Fatalf("e-mails: %q %q", a.Email, b.Email)
			}
			if _, err := st.UserByEmail(ctx, ""); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("UserByEmail(\"\"): %v", err)
			}
			if err := st.SetEmail(ctx, a.ID, "mel@example.org"); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("SetEmail to a taken one: %v", err)
			}
			if err := st.SetEmail(ctx, u.ID, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := st.UserByEmail(ctx, "mel@example.org"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("cleared e-mail still found: %v", err)
			}
		})

		t.Run("admin flag", func(t *testing.T) {
			u := newUser(t, st)
			if err := st.SetAdmin(ctx, u.ID, true); err != nil {
				t.Fatal(err)
			}
			if got, _ := st.UserByID(ctx, u.ID); !got.IsAdmin {
				t.Fatal("not admin")
			}
		})

		t.Run("invites are used once and expire", func(t *testing.T) {
			admin := newUser(t, st)
			inv, err := st.CreateInvite(ctx, "inv-1", admin.ID, now, now.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.CreateInvite(ctx, "inv-2", admin.ID, now, now.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if _, err := st.AddUser(ctx, store.NewUser{Username: "nobody-invited", PasswordHash: "h", InviteHash: "wrong", Now: now}); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("unknown invite: %v", err)
			}
			if _, err := st.UserByName(ctx, "nobody-invited"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("user created without a valid invite: %v", err)
			}
			if _, err := st.AddUser(ctx, store.NewUser{Username: "late", PasswordHash: "h", InviteHash: "inv-2", Now: now.Add(time.Minute)}); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("expired invite: %v", err)
			}
			u, err := st.AddUser(ctx, store.NewUser{Username: "invited", PasswordHash: "h", InviteHash: "inv-1", Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.AddUser(ctx, store.NewUser{Username: "second", PasswordHash: "h", InviteHash: "inv-1", Now: now}); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("invite used twice: %v", err)
			}
			list, err := st.Invites(ctx)
			if err != nil || len(list) != 2 || list[1].ID != inv.ID || list[1].UsedBy != u.ID || list[1].UsedAt.IsZero() || list[0].UsedBy != 0 {
				t.Fatalf("Invites = %+v, %v", list, err)
			}
			if _, err := st.CleanupAuth(ctx, now.Add(2*time.Hour), time.Hour); err != nil {
				t.Fatal(err)
			}
			if list, _ := st.Invites(ctx); len(list) != 1 || list[0].ID != inv.ID {
				t.Fatalf("after cleanup the used invite stays, the expired unused one goes: %+v", list)
			}
			if err := st.DeleteInvite(ctx, inv.ID); err != nil {
				t.Fatal(err)
			}
			if err := st.DeleteInvite(ctx, inv.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("second delete: %v", err)
			}
		})
	})
}

func TestAuditAndSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		u := newUser(t, st)
		at := time.Unix(1_800_000_000, 0)
		events := []store.AuditEvent{
			{UserID: u.ID, Username: u.Username, Event: "signin", Addr: "10.0.0.1", Time: at},
			{Username: "ghost", Event: "signin.failure", Addr: "10.0.0.2", Detail: "unknown account", Time: at},
			{UserID: u.ID, Username: u.Username, Event: "2fa.enabled", Time: at},
		}
		for _, e := range events {
			if err := st.AddAudit(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		all, err := st.AuditLog(ctx, store.AuditFilter{})
		if err != nil || len(all) != 3 {
			t.Fatalf("AuditLog = %+v, %v", all, err)
		}
		if all[0].Event != "2fa.enabled" || all[2].Event != "signin" || all[1].UserID != 0 || all[1].Detail != "unknown account" || !all[2].Time.Equal(at) {
			t.Fatalf("newest first, fields kept: %+v", all)
		}
		mine, _ := st.AuditLog(ctx, store.AuditFilter{UserID: u.ID, Limit: 1})
		if len(mine) != 1 || mine[0].Event != "2fa.enabled" {
			t.Fatalf("filtered: %+v", mine)
		}
		older, _ := st.AuditLog(ctx, store.AuditFilter{UserID: u.ID, BeforeID: mine[0].ID})
		if len(older) != 1 || older[0].Event != "signin" {
			t.Fatalf("paged: %+v", older)
		}
		if err := st.DeleteUser(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if kept, _ := st.AuditLog(ctx, store.AuditFilter{UserID: u.ID}); len(kept) != 2 {
			t.Fatalf("the log of a deleted user: %+v", kept)
		}

		if _, err := st.Setting(ctx, "signup_mode"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unset setting: %v", err)
		}
		for _, v := range []string{"open", "closed"} {
			if err := st.SetSetting(ctx, "signup_mode", v); err != nil {
				t.Fatal(err)
			}
			if got, err := st.Setting(ctx, "signup_mode"); err != nil || got != v {
				t.Fatalf("Setting = %q, %v; want %q", got, err, v)
			}
		}
	})
}
