package api

import (
	"net/mail"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"
)

// validUsername is the rule of `docuvault user add` too.
var validUsername = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$`)

const (
	minPassword = 8
	maxPassword = 1024
)

func checkUsername(s string) error {
	if !validUsername.MatchString(s) {
		return invalid("username: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	return nil
}

func checkPassword(field, s string) error {
	if n := utf8.RuneCountInString(s); n < minPassword || len(s) > maxPassword {
		return invalid("%s: use %d to %d characters", field, minPassword, maxPassword)
	}
	return nil
}

// normalEmail returns the lower-case address, "" for none.
func normalEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 || !strings.Contains(s, "@") {
		return "", invalid("email: not an e-mail address")
	}
	return strings.ToLower(s), nil
}

// cleanPrefix checks an app password's folder: "" or "/" for everything,
// otherwise an absolute, clean path as WebDAV names it.
func cleanPrefix(p string) (string, error) {
	if p == "" || p == "/" {
		return "/", nil
	}
	if !strings.HasPrefix(p, "/") || path.Clean(p) != p || strings.ContainsAny(p, "\x00\\") || len(p) > 4096 || !utf8.ValidString(p) {
		return "", invalid("path_prefix: want an absolute folder path such as /Documents (no trailing slash, no . or ..)")
	}
	return p, nil
}

// cleanFilePath cleans a path of the caller's namespace as WebDAV does:
// rooted at "/", without "." or "..", so it cannot leave the namespace.
func cleanFilePath(p string) (string, error) {
	if p == "" || strings.ContainsAny(p, "\x00\\") || len(p) > 4096 || !utf8.ValidString(p) {
		return "", invalid("path: want a file path such as /Documents/report.pdf")
	}
	return path.Clean("/" + p), nil
}
