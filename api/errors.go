package api

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/docuvault/docuvault/store"
)

// apiError is an answer with a status, a stable code for programs and a
// message for people. Every error the API gives has this JSON shape:
// {"error":{"code":"…","message":"…"}}; the codes are listed in openapi.json.
type apiError struct {
	status     int
	code       string
	message    string
	retryAfter time.Duration // > 0: sent as Retry-After
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// Errors shared by several handlers.
var (
	errUnauthorized   = errorf(http.StatusUnauthorized, "unauthorized", "sign in first: send an access token as Authorization: Bearer …")
	errInvalidToken   = errorf(http.StatusUnauthorized, "invalid_token", "the token is invalid, expired or revoked; refresh or sign in again")
	errForbidden      = errorf(http.StatusForbidden, "forbidden", "administrators only")
	errBadCredentials = errorf(http.StatusUnauthorized, "bad_credentials", "wrong username or password")
	errWrongPassword  = errorf(http.StatusForbidden, "bad_credentials", "the password is wrong")
	errNoKey          = errorf(http.StatusServiceUnavailable, "totp_unavailable",
		"two-factor authentication needs an encryption key on the server (DOCUVAULT_ENCRYPTION_KEY); ask your administrator")
)

func invalid(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, "invalid_input", format, args...)
}

func throttled(wait time.Duration) *apiError {
	e := errorf(http.StatusTooManyRequests, "too_many_requests", "too many failed attempts; try again in %d s", seconds(wait))
	e.retryAfter = wait
	return e
}

func seconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }

// writeError answers err: an *apiError as it is, store errors by kind, and
// anything else as a logged 500 that reveals nothing.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &mbe):
		ae = errorf(http.StatusRequestEntityTooLarge, "body_too_large", "the request body exceeds %d bytes", mbe.Limit)
	case errors.Is(err, store.ErrNotFound):
		ae = errorf(http.StatusNotFound, "not_found", "no such resource")
	case errors.Is(err, store.ErrConflict):
		ae = errorf(http.StatusConflict, "conflict", "that already exists")
	case errors.Is(err, context.Canceled):
		return // the client has gone
	default:
		a.log.ErrorContext(r.Context(), "api", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = errorf(http.StatusInternalServerError, "internal", "internal error")
	}
	if ae.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(seconds(ae.retryAfter)))
	}
	if ae.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="DocuVault"`)
	}
	writeJSON(w, ae.status, map[string]any{"error": map[string]string{"code": ae.code, "message": ae.message}})
}
