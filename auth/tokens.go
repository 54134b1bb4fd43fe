package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/docuvault/docuvault/store"
)

// Token lifetimes.
const (
	AccessTTL    = 15 * time.Minute
	RefreshTTL   = 30 * 24 * time.Hour
	ChallengeTTL = 5 * time.Minute
)

// ErrBadToken means a bearer or challenge token is malformed, forged,
// signed with another algorithm, meant for something else, or expired.
var ErrBadToken = errors.New("auth: invalid or expired token")

const (
	issuer = "docuvault"
	// Distinct audiences keep a 2FA challenge from passing as an access
	// token and the other way round.
	audAccess    = "docuvault:access"
	audChallenge = "docuvault:2fa-challenge"
)

// Claims are what an access or challenge token says: sub (the user id),
// roles, jti, sid (the refresh family of an access token) and av (the
// user's AuthVersion when issued: a password change or disabling voids it).
type Claims struct {
	jwt.RegisteredClaims
	Roles       []string `json:"roles,omitempty"`
	Session     string   `json:"sid,omitempty"`
	AuthVersion int64    `json:"av"`
}

// UserID returns the user the token is about.
func (c Claims) UserID() int64 {
	id, _ := strconv.ParseInt(c.Subject, 10, 64)
	return id
}

// Tokens signs and checks HS256 JWTs with one key.
type Tokens struct {
	key []byte
	now func() time.Time
}

// NewTokens returns a signer with key (at least 32 bytes) and a clock
// (nil: time.Now).
func NewTokens(key []byte, now func() time.Time) (*Tokens, error) {
	if len(key) < 32 {
		return nil, errors.New("auth: the token signing key must have at least 32 bytes")
	}
	if now == nil {
		now = time.Now
	}
	return &Tokens{key: key, now: now}, nil
}

// Roles lists the roles of u as carried in its access tokens.
func Roles(u store.User) []string {
	if u.IsAdmin {
		return []string{"user", "admin"}
	}
	return []string{"user"}
}

// Access issues a 15-minute access token for u in refresh family session.
func (t *Tokens) Access(u store.User, session string) (string, Claims, error) {
	c := t.claims(u, audAccess, AccessTTL)
	c.Roles, c.Session = Roles(u), session
	s, err := t.sign(c)
	return s, c, err
}

// Challenge issues the short-lived token that proves the password step of
// a sign-in with 2FA; only ParseChallenge accepts it.
func (t *Tokens) Challenge(u store.User) (string, Claims, error) {
	c := t.claims(u, audChallenge, ChallengeTTL)
	s, err := t.sign(c)
	return s, c, err
}

// ParseAccess checks an access token and returns its claims, or ErrBadToken.
func (t *Tokens) ParseAccess(s string) (Claims, error) { return t.parse(s, audAccess) }

// ParseChallenge checks a 2FA challenge token, or returns ErrBadToken.
func (t *Tokens) ParseChallenge(s string) (Claims, error) { return t.parse(s, audChallenge) }

func (t *Tokens) claims(u store.User, aud string, ttl time.Duration) Claims {
	now := t.now()
	return Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Subject:   strconv.FormatInt(u.ID, 10),
			Audience:  jwt.ClaimStrings{aud},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			ID:        rand.Text(),
		},
		AuthVersion: u.AuthVersion,
	}
}

func (t *Tokens) sign(c Claims) (string, error) {
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.key)
	if err != nil {
		return "", fmt.Errorf("auth: sign token: %w", err)
	}
	return s, nil
}

func (t *Tokens) parse(s, aud string) (Claims, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(s, &c, func(tok *jwt.Token) (any, error) {
		if tok.Method != jwt.SigningMethodHS256 { // WithValidMethods checks too
			return nil, ErrBadToken
		}
		return t.key, nil
	},
		jwt.WithValidMethods([]string{"HS256"}),
		jwt.WithAudience(aud),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(t.now),
		jwt.WithStrictDecoding(),
	)
	if err != nil || c.ID == "" || c.UserID() <= 0 {
		return Claims{}, ErrBadToken
	}
	return c, nil
}
