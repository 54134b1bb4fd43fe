package auth

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"image/png"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTPPeriod is the length of a TOTP step in seconds.
const TOTPPeriod = 30

var totpOpts = totp.ValidateOpts{Period: TOTPPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// TOTPKey is a new authenticator secret as shown once at enrolment.
type TOTPKey struct {
	Secret string // base32, for typing into an app
	URI    string // otpauth:// provisioning URI
	QRPNG  string // base64 PNG of the URI as a QR code
}

// NewTOTP generates a secret for account at issuer (SHA-1, 6 digits,
// 30 s: what every authenticator app supports).
func NewTOTP(issuer, account string) (TOTPKey, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: TOTPPeriod,
		SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return TOTPKey{}, fmt.Errorf("auth: totp: %w", err)
	}
	img, err := key.Image(256, 256)
	if err != nil {
		return TOTPKey{}, fmt.Errorf("auth: totp qr: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return TOTPKey{}, fmt.Errorf("auth: totp qr: %w", err)
	}
	return TOTPKey{Secret: key.Secret(), URI: key.URL(), QRPNG: base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// TOTPStep is the step now falls in.
func TOTPStep(now time.Time) int64 { return now.Unix() / TOTPPeriod }

// CheckTOTP reports whether code is the code of secret for the step of now
// or one step either side, and later than lastStep (a code is accepted
// once); it returns the matching step, which the caller must record.
func CheckTOTP(secret, code string, now time.Time, lastStep int64) (int64, bool) {
	if len(code) != 6 {
		return 0, false
	}
	cur := TOTPStep(now)
	var found int64
	for step := cur - 1; step <= cur+1; step++ {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*TOTPPeriod, 0), totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && step > lastStep && found == 0 {
			found = step
		}
	}
	return found, found != 0
}
