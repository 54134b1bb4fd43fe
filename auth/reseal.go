package auth

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/docuvault/docuvault/secret"
	"github.com/docuvault/docuvault/store"
)

// TOTPSealContext binds a sealed TOTP secret to its user.
func TOTPSealContext(userID int64) string { return "totp:" + strconv.FormatInt(userID, 10) }

// TOTPSecrets is what ResealTOTP needs from the store.
type TOTPSecrets interface {
	TOTPSecrets(ctx context.Context) ([]store.TOTP, error)
	ResealTOTP(ctx context.Context, userID int64, old, new string) error
}

// ResealTOTP re-encrypts every TOTP secret not sealed with the keyring's
// current key (for `docuvault rotate-key`) and returns how many changed.
// A secret changed meanwhile (re-enrolled, disabled) is skipped.
func ResealTOTP(ctx context.Context, st TOTPSecrets, keys *secret.Keyring) (int, error) {
	rows, err := st.TOTPSecrets(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range rows {
		if secret.KeyID(t.Secret) == keys.CurrentID() {
			continue
		}
		plain, err := keys.Open(t.Secret, TOTPSealContext(t.UserID))
		if err != nil {
			return n, fmt.Errorf("totp secret of user %d: %w", t.UserID, err)
		}
		sealed, err := keys.Seal(plain, TOTPSealContext(t.UserID))
		if err != nil {
			return n, err
		}
		switch err := st.ResealTOTP(ctx, t.UserID, t.Secret, sealed); {
		case errors.Is(err, store.ErrConflict):
		case err != nil:
			return n, err
		default:
			n++
		}
	}
	return n, nil
}
