package api

import "net/http"

// routes registers every endpoint of the API; openapi.json documents each
// one (TestOpenAPIDocumentsEveryRoute keeps the two in step).
func (a *API) routes() {
	const p = Prefix

	a.public("GET "+p+"/openapi.json", a.openAPI)

	a.public("GET "+p+"/auth/signup", a.signupInfo)
	a.public("POST "+p+"/auth/signup", a.signup)
	a.public("POST "+p+"/auth/signin", a.signin)
	a.public("POST "+p+"/auth/signin/2fa", a.signin2FA)
	a.public("POST "+p+"/auth/refresh", a.refresh)
	a.user("POST "+p+"/auth/logout", a.logout)
	a.user("GET "+p+"/auth/me", a.me)

	a.user("POST "+p+"/account/password", a.changePassword)
	a.user("POST "+p+"/account/totp/enroll", a.totpEnroll)
	a.user("POST "+p+"/account/totp/confirm", a.totpConfirm)
	a.user("POST "+p+"/account/totp/disable", a.totpDisable)
	a.user("POST "+p+"/account/totp/recovery-codes", a.recoveryCodes)
	a.user("GET "+p+"/account/app-passwords", a.listAppPasswords)
	a.user("POST "+p+"/account/app-passwords", a.createAppPassword)
	a.user("DELETE "+p+"/account/app-passwords/{id}", a.revokeAppPassword)

	a.user("GET "+p+"/storage", a.getStorage)
	a.user("PUT "+p+"/storage", a.putStorage)
	a.user("DELETE "+p+"/storage", a.deleteStorage)
	a.user("GET "+p+"/storage/providers", a.listProviders)
	a.user("POST "+p+"/storage/{provider}/connect", a.connectStorage)
	a.public("GET "+p+"/storage/{provider}/callback", a.oauthCallback)
	a.user("GET "+p+"/files/download-url", a.downloadURL)

	a.admin("GET "+p+"/admin/users", a.adminListUsers)
	a.admin("POST "+p+"/admin/users", a.adminCreateUser)
	a.admin("GET "+p+"/admin/users/{id}", a.adminGetUser)
	a.admin("PATCH "+p+"/admin/users/{id}", a.adminUpdateUser)
	a.admin("DELETE "+p+"/admin/users/{id}", a.adminDeleteUser)
	a.admin("POST "+p+"/admin/users/{id}/reset-2fa", a.adminReset2FA)
	a.admin("GET "+p+"/admin/users/{id}/storage", a.adminGetStorage)
	a.admin("PUT "+p+"/admin/users/{id}/storage", a.adminPutStorage)
	a.admin("DELETE "+p+"/admin/users/{id}/storage", a.adminDeleteStorage)
	a.admin("GET "+p+"/admin/settings", a.adminGetSettings)
	a.admin("PATCH "+p+"/admin/settings", a.adminUpdateSettings)
	a.admin("GET "+p+"/admin/invites", a.adminListInvites)
	a.admin("POST "+p+"/admin/invites", a.adminCreateInvite)
	a.admin("DELETE "+p+"/admin/invites/{id}", a.adminDeleteInvite)
	a.admin("GET "+p+"/admin/audit", a.adminAudit)

	// Anything else under the prefix: a JSON 404, or 405 with Allow.
	a.mux.HandleFunc(p+"/", func(w http.ResponseWriter, r *http.Request) {
		if err := a.notFound(w, r); err != nil {
			a.writeError(w, r, err)
		}
	})
}
