package api

import (
	"net/http"

	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/store"
)

// Audit events.
const (
	evSignup              = "signup"
	evSignin              = "signin"
	evSigninFailure       = "signin.failure"
	evSigninThrottled     = "signin.throttled"
	evSigninChallenge     = "signin.challenge"
	evSignin2FAFailure    = "signin.2fa_failure"
	evSignout             = "signout"
	evRefreshReuse        = "session.refresh_reused"
	evPasswordChanged     = "password.changed"
	ev2FAEnrollStarted    = "2fa.enroll_started"
	ev2FAEnabled          = "2fa.enabled"
	ev2FADisabled         = "2fa.disabled"
	ev2FARecoveryCodes    = "2fa.recovery_codes_regenerated"
	ev2FAReset            = "2fa.reset_by_admin"
	evAppPasswordCreated  = "app_password.created"
	evAppPasswordRevoked  = "app_password.revoked"
	evAdminUserCreated    = "admin.user_created"
	evAdminUserUpdated    = "admin.user_updated"
	evAdminUserDeleted    = "admin.user_deleted"
	evAdminSettings       = "admin.settings_changed"
	evAdminInvite         = "admin.invite_created"
	evStorageChanged      = "storage.changed"
	evStorageRemoved      = "storage.removed"
	evAdminStorageChanged = "admin.storage_changed"
	evAdminStorageRemoved = "admin.storage_removed"
)

// audit records event for user u (ID 0: no account; Username what was
// tried). A failure to record is logged, not returned: the audit log must
// not turn a sign-in into an outage. detail must hold no secret.
func (a *API) audit(r *http.Request, u store.User, event, detail string) {
	err := a.st.AddAudit(r.Context(), store.AuditEvent{UserID: u.ID, Username: u.Username, Event: event,
		Addr: auth.ClientAddr(r), Detail: detail, Time: a.now()})
	if err != nil {
		a.log.ErrorContext(r.Context(), "writing the audit log", "event", event, "err", err)
	}
}
