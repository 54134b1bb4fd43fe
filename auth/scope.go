package auth

import (
	"net/http"

	"github.com/docuvault/docuvault/store"
)

// Scope is what a WebDAV credential may do. The account password has the
// full scope; an app password may be read-only and confined to a folder.
type Scope struct {
	AppPassword int64  // id of the app password used; 0: the account password
	ReadOnly    bool   // only GET, HEAD, OPTIONS and PROPFIND
	Prefix      string // "/" or "": everywhere; otherwise this folder and below
}

// Covers reports whether the cleaned path name is inside the scope.
func (s Scope) Covers(name string) bool {
	return s.Prefix == "" || s.Prefix == "/" || name == s.Prefix || store.IsBelow(name, s.Prefix)
}

// Permits reports whether the scope allows method at all.
func (s Scope) Permits(method string) bool {
	if !s.ReadOnly {
		return true
	}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, "PROPFIND":
		return true
	}
	return false
}

// ScopeOf is the scope an app password grants.
func ScopeOf(a store.AppPassword) Scope {
	return Scope{AppPassword: a.ID, ReadOnly: a.ReadOnly, Prefix: a.PathPrefix}
}
