package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/store"
)

func (a *API) listAppPasswords(w http.ResponseWriter, r *http.Request, c *caller) error {
	list, err := a.st.AppPasswords(r.Context(), c.User.ID)
	if err != nil {
		return err
	}
	out := make([]appPasswordView, 0, len(list))
	for _, p := range list {
		out = append(out, viewAppPassword(p))
	}
	writeJSON(w, http.StatusOK, map[string]any{"app_passwords": out})
	return nil
}

// createAppPassword makes a WebDAV password; its secret is in this answer
// only. Only its SHA-256 is stored.
func (a *API) createAppPassword(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Name       string `json:"name"`
		ReadOnly   bool   `json:"read_only"`
		PathPrefix string `json:"path_prefix"`
		ExpiresAt  string `json:"expires_at"` // RFC 3339; "" never
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 100 || !utf8.ValidString(in.Name) {
		return invalid("name: 1 to 100 characters, e.g. the device it is for")
	}
	prefix, err := cleanPrefix(in.PathPrefix)
	if err != nil {
		return err
	}
	p := store.AppPassword{UserID: c.User.ID, Name: in.Name, ReadOnly: in.ReadOnly, PathPrefix: prefix, CreatedAt: a.now()}
	if in.ExpiresAt != "" {
		t, err := time.Parse(time.RFC3339, in.ExpiresAt)
		if err != nil || !t.After(a.now()) {
			return invalid("expires_at: want a future time in RFC 3339, e.g. 2030-01-02T15:04:05Z")
		}
		p.ExpiresAt = t
	}
	secret := auth.NewAppPassword()
	p, err = a.st.CreateAppPassword(r.Context(), p, auth.HashToken(secret))
	if err != nil {
		return err
	}
	a.audit(r, c.User, evAppPasswordCreated, describeAppPassword(p))
	writeJSON(w, http.StatusCreated, map[string]any{"app_password": viewAppPassword(p), "username": c.User.Username, "password": secret})
	return nil
}

func describeAppPassword(p store.AppPassword) string {
	mode := "read-write"
	if p.ReadOnly {
		mode = "read-only"
	}
	return fmt.Sprintf("id %d %q, %s, prefix %s", p.ID, p.Name, mode, p.PathPrefix)
}

func (a *API) revokeAppPassword(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := a.st.DeleteAppPassword(r.Context(), c.User.ID, id); err != nil {
		return err
	}
	a.audit(r, c.User, evAppPasswordRevoked, "id "+strconv.FormatInt(id, 10))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// pathID parses the {id} of a route.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errorf(http.StatusNotFound, "not_found", "no such resource")
	}
	return id, nil
}
