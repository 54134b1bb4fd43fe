package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

func TestAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		var deleted []int64
		s := newServer(t, st, options{deleteCalls: &deleted})
		root := s.addUser("root", "root-password", true)
		hank := s.addUser("hank", "hank-password", false)
		admin, user := s.signin(t, "root", "root-password"), s.signin(t, "hank", "hank-password")

		// Give hank every kind of secret an admin must never see.
		totpSecret, recovery := s.enable2FA(t, user, "hank-password")
		ap := s.do(t, req{method: "POST", path: "/account/app-passwords", token: user.access, body: map[string]any{"name": "phone"}})
		want(t, ap, http.StatusCreated)
		const storageKey = "PLAINTEXT-STORAGE-SECRET-KEY"
		sealedStorage, err := s.keys.Seal([]byte(`{"secret_key":"`+storageKey+`"}`), "storage")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.PutStorage(ctx, store.Storage{UserID: hank.ID, Mount: "/", Kind: "s3", Config: `{"bucket":"b"}`, Secrets: sealedStorage}); err != nil {
			t.Fatal(err)
		}
		row, _ := st.TOTPOf(ctx, hank.ID)
		secrets := []string{totpSecret, row.Secret, ap.str("password"), auth.HashToken(ap.str("password")), storageKey, sealedStorage,
			user.refresh, admin.refresh, "$argon2id", "password_hash", "secret_hash", "code_hash", "token_hash"}
		secrets = append(secrets, recovery...)
		for _, c := range recovery {
			secrets = append(secrets, auth.HashRecoveryCode(c))
		}
		adminDo := func(t *testing.T, q req) reply {
			t.Helper()
			if q.token == "" {
				q.token = admin.access
			}
			r := s.do(t, q)
			users, _ := st.Users(ctx)
			var hashes []string
			for _, u := range users {
				hashes = append(hashes, u.PasswordHash)
			}
			all := string(r.body)
			for k, v := range r.header {
				all += k + ": " + strings.Join(v, ", ") + "\n"
			}
			for _, sec := range append(hashes, secrets...) {
				if strings.Contains(all, sec) {
					t.Errorf("%s %s: the admin response carries a secret (%.12s…):\n%s", q.method, q.path, sec, all)
				}
			}
			return r
		}
		hankPath := "/admin/users/" + itoa(hank.ID)

		t.Run("only administrators", func(t *testing.T) {
			for _, p := range s.api.Patterns() {
				method, path, _ := strings.Cut(p, " ")
				if !strings.Contains(path, "/admin/") {
					continue
				}
				path = strings.ReplaceAll(strings.TrimPrefix(path, "/api/v1"), "{id}", itoa(hank.ID))
				want(t, s.do(t, req{method: method, path: path, token: user.access}), http.StatusForbidden, "forbidden")
				want(t, s.do(t, req{method: method, path: path}), http.StatusUnauthorized, "unauthorized")
			}
		})

		t.Run("list and get", func(t *testing.T) {
			r := adminDo(t, req{method: "GET", path: "/admin/users"})
			want(t, r, http.StatusOK)
			users := r.json["users"].([]any)
			if len(users) != 2 {
				t.Fatalf("users %s", r.body)
			}
			r = adminDo(t, req{method: "GET", path: hankPath})
			want(t, r, http.StatusOK)
			if r.json["two_factor_enabled"] != true || r.json["recovery_codes_left"] != float64(10) || r.json["app_passwords"] != float64(1) {
				t.Fatalf("hank: %s", r.body)
			}
			sts := r.json["storages"].([]any)
			if len(sts) != 1 || sts[0].(map[string]any)["kind"] != "s3" || len(sts[0].(map[string]any)) != 2 {
				t.Fatalf("storages: %v", sts)
			}
			want(t, adminDo(t, req{method: "GET", path: "/admin/users/999999"}), http.StatusNotFound, "not_found")
			want(t, adminDo(t, req{method: "GET", path: "/admin/users/abc"}), http.StatusNotFound, "not_found")
		})

		t.Run("create", func(t *testing.T) {
			r := adminDo(t, req{method: "POST", path: "/admin/users", body: map[string]any{"username": "ivy", "password": "ivy-password", "email": "ivy@example.org"}})
			want(t, r, http.StatusCreated)
			if r.str("username") != "ivy" || r.json["is_admin"] != false {
				t.Fatalf("created %s", r.body)
			}
			want(t, adminDo(t, req{method: "POST", path: "/admin/users", body: map[string]any{"username": "ivy", "password": "ivy-password"}}),
				http.StatusConflict, "conflict")
			want(t, adminDo(t, req{method: "POST", path: "/admin/users", body: map[string]any{"username": "x y", "password": "ivy-password"}}),
				http.StatusBadRequest, "invalid_input")
			s.signin(t, "ivy@example.org", "ivy-password")
		})

		t.Run("quota, admin flag, disable", func(t *testing.T) {
			r := adminDo(t, req{method: "PATCH", path: hankPath, body: map[string]any{"quota_bytes": 1 << 30, "is_admin": true}})
			want(t, r, http.StatusOK)
			if r.json["quota_bytes"] != float64(1<<30) || r.json["is_admin"] != true {
				t.Fatalf("after patch %s", r.body)
			}
			r = adminDo(t, req{method: "PATCH", path: hankPath, body: map[string]any{"is_admin": false, "disabled": true}})
			want(t, r, http.StatusOK)
			if r.json["disabled"] != true {
				t.Fatalf("after disable %s", r.body)
			}
			want(t, s.do(t, req{method: "GET", path: "/auth/me", token: user.access}), http.StatusUnauthorized, "invalid_token")
			want(t, adminDo(t, req{method: "PATCH", path: hankPath, body: map[string]any{"disabled": false}}), http.StatusOK)
			me := "/admin/users/" + itoa(root.ID)
			want(t, adminDo(t, req{method: "PATCH", path: me, body: map[string]any{"disabled": true}}), http.StatusBadRequest, "invalid_input")
			want(t, adminDo(t, req{method: "PATCH", path: me, body: map[string]any{"is_admin": false}}), http.StatusBadRequest, "invalid_input")
		})

		t.Run("reset 2FA", func(t *testing.T) {
			want(t, adminDo(t, req{method: "POST", path: hankPath + "/reset-2fa"}), http.StatusNoContent)
			if u := mustUser(t, st, "hank"); u.TOTPEnabled {
				t.Fatal("2FA still on")
			}
			s.signin(t, "hank", "hank-password") // no challenge
			events, _ := st.AuditLog(ctx, store.AuditFilter{UserID: hank.ID})
			if !hasEvent(events, "2fa.reset_by_admin") {
				t.Fatal("reset not audited")
			}
		})

		t.Run("signup modes and invites", func(t *testing.T) {
			r := adminDo(t, req{method: "GET", path: "/admin/settings"})
			want(t, r, http.StatusOK)
			if r.str("signup_mode") != "closed" {
				t.Fatalf("default %s", r.body)
			}
			want(t, adminDo(t, req{method: "PATCH", path: "/admin/settings", body: map[string]any{"signup_mode": "sometimes"}}), http.StatusBadRequest, "invalid_input")
			want(t, adminDo(t, req{method: "PATCH", path: "/admin/settings", body: map[string]any{"signup_mode": "invite"}}), http.StatusOK)
			r = adminDo(t, req{method: "POST", path: "/admin/invites", body: map[string]any{}})
			want(t, r, http.StatusCreated)
			code := r.str("code")
			signup := func(invite string) reply {
				return s.do(t, req{method: "POST", path: "/auth/signup", body: map[string]any{"username": "jo", "password": "jo-password", "invite": invite}})
			}
			want(t, signup(""), http.StatusForbidden, "invite_required")
			want(t, signup("made-up"), http.StatusForbidden, "invalid_invite")
			want(t, signup(code), http.StatusCreated)
			want(t, s.do(t, req{method: "POST", path: "/auth/signup", body: map[string]any{"username": "jo2", "password": "jo-password", "invite": code}}),
				http.StatusForbidden, "invalid_invite")
			r = adminDo(t, req{method: "GET", path: "/admin/invites"})
			want(t, r, http.StatusOK)
			invs := r.json["invites"].([]any)
			if len(invs) != 1 || invs[0].(map[string]any)["used_at"] == nil || strings.Contains(string(r.body), code) {
				t.Fatalf("invites %s", r.body)
			}
			id := int64(invs[0].(map[string]any)["id"].(float64))
			want(t, adminDo(t, req{method: "DELETE", path: "/admin/invites/" + itoa(id)}), http.StatusNoContent)
			want(t, adminDo(t, req{method: "DELETE", path: "/admin/invites/" + itoa(id)}), http.StatusNotFound, "not_found")
		})

		t.Run("audit log", func(t *testing.T) {
			r := adminDo(t, req{method: "GET", path: "/admin/audit?user_id=" + itoa(hank.ID) + "&limit=3"})
			want(t, r, http.StatusOK)
			if n := len(r.json["events"].([]any)); n != 3 {
				t.Fatalf("%d events", n)
			}
			want(t, adminDo(t, req{method: "GET", path: "/admin/audit?limit=lots"}), http.StatusBadRequest, "invalid_input")
		})

		t.Run("storage", func(t *testing.T) {
			const davPassword = "Hank-Remote-Password-2b9c"
			secrets = append(secrets, davPassword)
			remote := remoteDAV(t, "hank-remote", davPassword)
			r := adminDo(t, req{method: "PUT", path: hankPath + "/storage",
				body: map[string]any{"mount": "/Cloud", "kind": "webdav", "url": remote, "username": "hank-remote", "secret": davPassword}})
			got := storagesOf(t, r)
			if got["/Cloud"]["secret_set"] != true || got["/"]["kind"] != "s3" || got["/"]["bucket"] != "b" || got["/"]["secret_set"] != true {
				t.Fatalf("hank's storages %v", got)
			}
			if len(storagesOf(t, adminDo(t, req{method: "GET", path: hankPath + "/storage"}))) != 2 {
				t.Fatal("admin GET does not list both storages")
			}
			want(t, adminDo(t, req{method: "GET", path: hankPath}), http.StatusOK)
			want(t, adminDo(t, req{method: "GET", path: "/admin/users"}), http.StatusOK)
			want(t, adminDo(t, req{method: "GET", path: "/admin/audit"}), http.StatusOK)
			events, _ := st.AuditLog(ctx, store.AuditFilter{UserID: root.ID})
			if !hasEvent(events, "admin.storage_changed") {
				t.Fatal("the change is not audited")
			}
			want(t, adminDo(t, req{method: "DELETE", path: hankPath + "/storage?mount=/"}), http.StatusBadRequest, "invalid_input")
			want(t, adminDo(t, req{method: "DELETE", path: hankPath + "/storage?mount=/Cloud"}), http.StatusNoContent)
			want(t, adminDo(t, req{method: "DELETE", path: hankPath + "/storage?mount=/Cloud"}), http.StatusNotFound, "not_found")
		})

		t.Run("delete", func(t *testing.T) {
			want(t, adminDo(t, req{method: "DELETE", path: "/admin/users/" + itoa(root.ID)}), http.StatusBadRequest, "invalid_input")
			want(t, adminDo(t, req{method: "DELETE", path: hankPath}), http.StatusNoContent)
			if len(deleted) != 1 || deleted[0] != hank.ID {
				t.Fatalf("DeleteUserData calls %v", deleted)
			}
			want(t, adminDo(t, req{method: "GET", path: hankPath}), http.StatusNotFound, "not_found")
			want(t, adminDo(t, req{method: "DELETE", path: hankPath}), http.StatusNotFound, "not_found")
			if r := s.davAs(t, "hank", ap.str("password"), "PROPFIND", "/dav/", "", map[string]string{"Depth": "0"}); r.status != http.StatusUnauthorized {
				t.Fatalf("a deleted user's app password: %d", r.status)
			}
		})
	})
}
