package main

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/docuvault/docuvault/api"
	"github.com/docuvault/docuvault/storage"
)

// Environment variables of the OAuth client secrets (never flags: a flag
// shows in the process list).
const (
	envOneDriveSecret = "DOCUVAULT_ONEDRIVE_CLIENT_SECRET"
	envGDriveSecret   = "DOCUVAULT_GDRIVE_CLIENT_SECRET"
)

// oauthSettings is the server's registration with one provider.
type oauthSettings struct {
	ClientID, ClientSecret               string
	AuthURL, TokenURL, APIURL, RevokeURL string
}

// The providers' public endpoints; each can be overridden (national
// clouds, tests). Microsoft Graph has no endpoint that revokes one app's
// token (revokeSignInSessions signs the user out of every app), so OneDrive
// has no revoke URL.
var (
	oneDriveDefaults = oauthSettings{
		AuthURL:  "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
		TokenURL: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
		APIURL:   "https://graph.microsoft.com/v1.0",
	}
	gDriveDefaults = oauthSettings{
		AuthURL:   "https://accounts.google.com/o/oauth2/v2/auth",
		TokenURL:  "https://oauth2.googleapis.com/token",
		APIURL:    "https://www.googleapis.com",
		RevokeURL: "https://oauth2.googleapis.com/revoke",
	}
)

// validateOAuth checks the OAuth settings: a provider with a client id
// needs its secret and the public URL; endpoints must be http(s) URLs.
func (c *config) validateOAuth() error {
	for _, p := range []struct {
		o        *oauthSettings
		def      oauthSettings
		env      string
		optional *string // the endpoint that may be empty
	}{{&c.OneDrive, oneDriveDefaults, envOneDriveSecret, &c.OneDrive.RevokeURL}, {&c.GDrive, gDriveDefaults, envGDriveSecret, &c.GDrive.RevokeURL}} {
		// Settings added later default when empty, as in a config built in code.
		for _, f := range []struct{ dst, def *string }{{&p.o.AuthURL, &p.def.AuthURL}, {&p.o.TokenURL, &p.def.TokenURL},
			{&p.o.APIURL, &p.def.APIURL}, {&p.o.RevokeURL, &p.def.RevokeURL}} {
			if *f.dst == "" {
				*f.dst = *f.def
			}
			if *f.dst == "" && f.dst == p.optional {
				continue
			}
			if !httpURL(*f.dst) {
				return settingError(c, f.dst, "want an http:// or https:// URL")
			}
		}
		switch {
		case p.o.ClientID != "" && p.o.ClientSecret == "":
			return fmt.Errorf("missing $%s: the client id %s is set without its secret", p.env, strings.TrimSuffix(p.env, "_SECRET")+"_ID")
		case p.o.ClientID == "" && p.o.ClientSecret != "":
			return fmt.Errorf("$%s is set but %s is not", p.env, strings.TrimSuffix(p.env, "_SECRET")+"_ID")
		case p.o.ClientID != "" && c.PublicURL == "":
			return missingError(c, &c.PublicURL, "OAuth providers redirect the browser back to it (e.g. https://dav.example.com)")
		}
	}
	if c.PublicURL != "" {
		c.PublicURL = strings.TrimRight(c.PublicURL, "/")
		u, err := url.Parse(c.PublicURL)
		if !httpURL(c.PublicURL) || err != nil || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return settingError(c, &c.PublicURL, "want the server's URL such as https://dav.example.com, without query")
		}
	}
	return nil
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// oauthProviders are the configured providers by storage kind.
func (c *config) oauthProviders() map[string]*storage.OAuthProvider {
	out := map[string]*storage.OAuthProvider{}
	for _, p := range []struct {
		kind, name string
		o          oauthSettings
	}{{storage.OneDrive, "OneDrive", c.OneDrive}, {storage.GDrive, "Google Drive", c.GDrive}} {
		if p.o.ClientID == "" {
			continue
		}
		out[p.kind] = &storage.OAuthProvider{Kind: p.kind, Name: p.name, ClientID: p.o.ClientID, ClientSecret: p.o.ClientSecret,
			AuthURL: p.o.AuthURL, TokenURL: p.o.TokenURL, RevokeURL: p.o.RevokeURL, APIURL: p.o.APIURL,
			RedirectURL: c.PublicURL + api.Prefix + "/storage/" + p.kind + "/callback"}
	}
	return out
}
