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

// parseIf parses an If header value into its condition lists:
//
//	If = 1*No-tag-list | 1*Tagged-list
//	Tagged-list = Resource-Tag 1*List
//	List = "(" 1*Condition ")"
//	Condition = ["Not"] ("<" state-token ">" | "[" entity-tag "]")
//
// Tags and tokens end at the first '>', entity tags at the first ']', as in
// webdav.Handler, which parses the header again.
func parseIf(s string) ([]ifList, error) {
	var out []ifList
	resource, tagged, lists := "", false, 0 // lists: since the last tag
	for s = trimLWS(s); s != ""; s = trimLWS(s) {
		switch s[0] {
		case '<':
			if len(out) > 0 && !tagged || tagged && lists == 0 {
				return nil, errBadIf
			}
			tag, rest, ok := strings.Cut(s[1:], ">")
			if !ok || tag == "" {
				return nil, errBadIf
			}
			resource, tagged, lists, s = tag, true, 0, rest
		case '(':
			conds, rest, err := parseConditions(s[1:])
			if err != nil {
				return nil, err
			}
			out = append(out, ifList{Resource: resource, Conditions: conds})
			lists, s = lists+1, rest
		default:
			return nil, errBadIf
		}
	}
	if len(out) == 0 || tagged && lists == 0 {
		return nil, errBadIf
	}
	return out, nil
}

// parseConditions reads the conditions of one list up to and including its
// closing ')' and returns them with the rest of s.
func parseConditions(s string) ([]webdav.Condition, string, error) {
	var out []webdav.Condition
	for s = trimLWS(s); ; s = trimLWS(s) {
		if s == "" {
			return nil, "", errBadIf
		}
		if s[0] == ')' {
			if len(out) == 0 {
				return nil, "", errBadIf
			}
			return out, s[1:], nil
		}
		var c webdav.Condition
		if len(s) >= 3 && strings.EqualFold(s[:3], "not") {
			c.Not, s = true, trimLWS(s[3:])
		}
		var ok bool
		switch {
		case strings.HasPrefix(s, "<"):
			c.Token, s, ok = strings.Cut(s[1:], ">")
		case strings.HasPrefix(s, "["):
			c.ETag, s, ok = strings.Cut(s[1:], "]")
		}
		if !ok || c.Token == "" && c.ETag == "" {
			return nil, "", errBadIf
		}
		out = append(out, c)
	}
}

func trimLWS(s string) string { return strings.TrimLeft(s, " \t") }

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
