package davfs

import (
	"errors"
	"strings"

	"golang.org/x/net/webdav"
)

// ifList is one parenthesised condition list of an If header (RFC 4918
// §10.4), applying to Resource (a URL from a tagged list) or, when Resource
// is empty, to the request URL.
type ifList struct {
	Resource   string
	Conditions []webdav.Condition
}

var errBadIf = errors.New("davfs: malformed If header")

// parseIf parses an If header value into its condition lists.
func parseIf(s string) ([]ifList, error) {
	var out []ifList
	resource := ""
	tagged := false
	s = strings.TrimSpace(s)
	for s != "" {
		switch s[0] {
		case '<':
			end := strings.IndexByte(s, '>')
			if end < 0 || (len(out) > 0 && !tagged) {
				return nil, errBadIf
			}
			resource, tagged = s[1:end], true
			s = s[end+1:]
		case '(':
			end := strings.IndexByte(s, ')')
			if end < 0 {
				return nil, errBadIf
			}
			conds, err := parseConditions(s[1:end])
			if err != nil {
				return nil, err
			}
			if tagged && resource == "" {
				return nil, errBadIf
			}
			out = append(out, ifList{Resource: resource, Conditions: conds})
			s = s[end+1:]
		default:
			return nil, errBadIf
		}
		s = strings.TrimSpace(s)
	}
	if len(out) == 0 {
		return nil, errBadIf
	}
	return out, nil
}

func parseConditions(s string) ([]webdav.Condition, error) {
	var out []webdav.Condition
	s = strings.TrimSpace(s)
	for s != "" {
		var c webdav.Condition
		if len(s) >= 3 && strings.EqualFold(s[:3], "not") {
			c.Not = true
			s = strings.TrimSpace(s[3:])
		}
		if s == "" {
			return nil, errBadIf
		}
		switch s[0] {
		case '<':
			end := strings.IndexByte(s, '>')
			if end < 0 {
				return nil, errBadIf
			}
			c.Token, s = s[1:end], s[end+1:]
		case '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return nil, errBadIf
			}
			c.ETag, s = s[1:end], s[end+1:]
		default:
			return nil, errBadIf
		}
		out = append(out, c)
		s = strings.TrimSpace(s)
	}
	if len(out) == 0 {
		return nil, errBadIf
	}
	return out, nil
}

// submittedTokens returns every lock token named positively in the lists:
// these are the locks the client claims to hold.
func submittedTokens(lists []ifList) map[string]bool {
	out := map[string]bool{}
	for _, l := range lists {
		for _, c := range l.Conditions {
			if c.Token != "" && !c.Not {
				out[c.Token] = true
			}
		}
	}
	return out
}
