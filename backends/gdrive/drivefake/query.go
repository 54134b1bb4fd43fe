package drivefake

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// query is the subset of Drive's search language the fake understands: terms
// joined by "and", exactly one of them "'<id>' in parents", each at most
// once:
//
//	'<id>' in parents
//	name = '<string>'
//	trashed = true | false
//	mimeType = '<string>' | mimeType != '<string>'
//
// Strings are single-quoted with \' and \\ as the only escapes. Anything
// else ("or", "not", "contains", parentheses, other fields) is an error.
type query struct {
	parent   string
	name     *string
	trashed  *bool
	mime     *string
	mimeNot  bool
	mimeSeen bool
}

func parseQuery(s string) (query, error) {
	var q query
	toks, err := tokenize(s)
	if err != nil {
		return q, err
	}
	seen := map[string]bool{}
	for i := 0; ; {
		rest := toks[i:]
		var key string
		switch {
		case len(rest) >= 3 && rest[0].str && rest[1].is("in") && rest[2].is("parents"):
			key, q.parent = "parents", rest[0].text
			i += 3
		case len(rest) >= 3 && rest[0].is("name") && rest[1].is("=") && rest[2].str:
			key, q.name = "name", &rest[2].text
			i += 3
		case len(rest) >= 3 && rest[0].is("trashed") && rest[1].is("=") && (rest[2].is("true") || rest[2].is("false")):
			b := rest[2].text == "true"
			key, q.trashed = "trashed", &b
			i += 3
		case len(rest) >= 3 && rest[0].is("mimeType") && (rest[1].is("=") || rest[1].is("!=")) && rest[2].str:
			key, q.mime, q.mimeNot = "mimeType", &rest[2].text, rest[1].text == "!="
			i += 3
		default:
			return q, fmt.Errorf("unsupported term at %q", join(rest))
		}
		if seen[key] {
			return q, fmt.Errorf("%s given twice", key)
		}
		seen[key] = true
		if i == len(toks) {
			break
		}
		if !toks[i].is("and") {
			return q, fmt.Errorf("expected \"and\" at %q", join(toks[i:]))
		}
		i++
	}
	if !seen["parents"] {
		return q, errors.New("the fake needs an \"'<id>' in parents\" term")
	}
	return q, nil
}

// match reports whether x satisfies q (the parent already matched).
func (q query) match(x *file, trashed bool) bool {
	switch {
	case q.name != nil && x.name != *q.name:
		return false
	case q.trashed != nil && trashed != *q.trashed:
		return false
	case q.mime != nil && (x.mime == *q.mime) == q.mimeNot:
		return false
	}
	return true
}

type token struct {
	text string
	str  bool // a quoted string
}

func (t token) is(s string) bool { return !t.str && t.text == s }

func join(toks []token) string {
	parts := make([]string, len(toks))
	for i, t := range toks {
		parts[i] = t.text
		if t.str {
			parts[i] = "'" + t.text + "'"
		}
	}
	return strings.Join(parts, " ")
}

func tokenize(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case c == '\'':
			var b strings.Builder
			i++
			for {
				if i >= len(s) {
					return nil, errors.New("unterminated string")
				}
				if s[i] == '\\' {
					if i+1 >= len(s) || (s[i+1] != '\'' && s[i+1] != '\\') {
						return nil, errors.New(`only \' and \\ escapes are allowed`)
					}
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if s[i] == '\'' {
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			toks = append(toks, token{text: b.String(), str: true})
		case c == '=':
			toks = append(toks, token{text: "="})
			i++
		case c == '!' && i+1 < len(s) && s[i+1] == '=':
			toks = append(toks, token{text: "!="})
			i += 2
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
				j++
			}
			toks = append(toks, token{text: s[i:j]})
			i = j
		default:
			return nil, fmt.Errorf("unexpected %q", s[i:])
		}
	}
	if len(toks) == 0 {
		return nil, errors.New("empty query")
	}
	return toks, nil
}

// A selection is a parsed fields parameter: each selected name with its
// sub-selection (nil selects the whole value).
type selection map[string]selection

var (
	fileFields = map[string]bool{
		"kind": true, "id": true, "name": true, "mimeType": true, "parents": true, "size": true,
		"md5Checksum": true, "version": true, "createdTime": true, "modifiedTime": true, "trashed": true,
		"explicitlyTrashed": true,
	}
	defaultFile  = selection{"kind": nil, "id": nil, "name": nil, "mimeType": nil}
	listFields   = map[string]bool{"kind": true, "nextPageToken": true, "incompleteSearch": true, "files": true}
	defaultList  = selection{"kind": nil, "nextPageToken": nil, "incompleteSearch": nil, "files": defaultFile}
	quotaFields  = map[string]bool{"limit": true, "usage": true, "usageInDrive": true, "usageInDriveTrash": true}
	aboutFields  = map[string]bool{"kind": true, "storageQuota": true}
	errSelection = errors.New("invalid field selection")
)

// parseFields parses fields such as "nextPageToken,files(id,name)" or
// "files/id"; "*" selects everything.
func parseFields(s string) (selection, error) {
	p := &fieldParser{s: strings.ReplaceAll(s, " ", "")}
	sel, ok := p.list()
	if !ok || p.i != len(p.s) {
		return nil, fmt.Errorf("%w %q", errSelection, s)
	}
	return sel, nil
}

type fieldParser struct {
	s string
	i int
}

func (p *fieldParser) list() (selection, bool) {
	sel := selection{}
	for {
		name, sub, ok := p.item()
		if !ok {
			return nil, false
		}
		if old, dup := sel[name]; dup && (old == nil || sub == nil) {
			sub = nil // the whole value wins
		} else if dup {
			for k, v := range sub {
				old[k] = v
			}
			sub = old
		}
		sel[name] = sub
		if p.i == len(p.s) || p.s[p.i] != ',' {
			return sel, true
		}
		p.i++
	}
}

func (p *fieldParser) item() (string, selection, bool) {
	j := p.i
	for j < len(p.s) && (p.s[j] == '*' || p.s[j] >= '0' && p.s[j] <= '9' || p.s[j] >= 'a' && p.s[j] <= 'z' || p.s[j] >= 'A' && p.s[j] <= 'Z') {
		j++
	}
	if j == p.i {
		return "", nil, false
	}
	name := p.s[p.i:j]
	p.i = j
	if p.i == len(p.s) {
		return name, nil, true
	}
	switch p.s[p.i] {
	case '(':
		p.i++
		sub, ok := p.list()
		if !ok || p.i == len(p.s) || p.s[p.i] != ')' {
			return "", nil, false
		}
		p.i++
		return name, sub, true
	case '/':
		p.i++
		n, sub, ok := p.item()
		if !ok {
			return "", nil, false
		}
		return name, selection{n: sub}, true
	}
	return name, nil, true
}

// check validates sel against the allowed names; sub checks nested values.
func (sel selection) check(allowed map[string]bool, sub map[string]map[string]bool) error {
	for name, inner := range sel {
		if name == "*" {
			continue
		}
		if !allowed[name] {
			return fmt.Errorf("%w: unknown field %q", errSelection, name)
		}
		if inner != nil {
			a, ok := sub[name]
			if !ok {
				return fmt.Errorf("%w: %q has no sub-fields", errSelection, name)
			}
			if err := inner.check(a, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

func (sel selection) has(name string) (selection, bool) {
	if v, ok := sel["*"]; ok {
		return v, true
	}
	v, ok := sel[name]
	return v, ok
}

// render is the JSON of x with the selected fields.
func (f *Fake) render(x *file, sel selection) map[string]any {
	all := map[string]any{
		"kind": "drive#file", "id": x.id, "name": x.name, "mimeType": x.mime,
		"version":     strconv.FormatInt(x.version, 10),
		"createdTime": x.created.Format(timeFormat), "modifiedTime": x.modified.Format(timeFormat),
		"trashed": f.isTrashed(x), "explicitlyTrashed": x.trashed,
	}
	if x.parent != "" {
		all["parents"] = []string{x.parent}
	}
	if !x.isDir() && !x.native() {
		all["size"] = strconv.FormatInt(x.size, 10)
		all["md5Checksum"] = x.md5
	}
	if sel == nil {
		return all
	}
	out := map[string]any{}
	for k, v := range all {
		if _, ok := sel.has(k); ok {
			out[k] = v
		}
	}
	return out
}

// timeFormat is RFC 3339 in UTC with milliseconds, as Drive writes it.
const timeFormat = "2006-01-02T15:04:05.000Z"

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return stamp(t), err
}
