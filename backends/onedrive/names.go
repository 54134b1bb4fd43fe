package onedrive

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// OneDrive refuses names with " * : < > ? \ | or control characters, names
// that begin with a space or "~", end with a space or ".", reserved names
// (CON, PRN, AUX, NUL, COM0-9, LPT0-9, .lock, desktop.ini) and names
// containing "_vti_"; rclone's tests found '#' and '%' trouble on OneDrive
// for Business. encodeName swaps each such character for a lookalike
// (fullwidth forms U+FF01-FF5E, control pictures U+2401-2421) as rclone
// does; a lookalike that was in the name already is escaped with quote, and
// invalid UTF-8 bytes become U+EE00+byte, so any name round-trips:
// decodeName(encodeName(s)) == s.

// quote escapes a literal lookalike (or itself).
const quote = '‛' // U+201B SINGLE HIGH-REVERSED-9 QUOTATION MARK

const rawByteBase = 0xEE00 // invalid UTF-8 byte b is stored as U+EE00+b

// isLookalike reports whether r is a replacement encodeName may produce.
func isLookalike(r rune) bool {
	return r >= 0xFF01 && r <= 0xFF5E || r >= 0x2401 && r <= 0x2421 || r >= rawByteBase && r <= rawByteBase+0xFF
}

// lookalike maps an ASCII character to its replacement.
func lookalike(c byte) rune {
	switch {
	case c == ' ':
		return '␠' // U+2420
	case c == 0x7f:
		return '␡' // U+2421
	case c < 0x20:
		return 0x2400 + rune(c)
	}
	return rune(c) + 0xFEE0 // '!'..'~' to FULLWIDTH '！'..'～'
}

var reservedNames = func() map[string]bool {
	m := map[string]bool{"con": true, "prn": true, "aux": true, "nul": true, ".lock": true, "desktop.ini": true}
	for _, p := range []string{"com", "lpt"} {
		for d := '0'; d <= '9'; d++ {
			m[p+string(d)] = true
		}
	}
	return m
}()

// encodeName turns a DocuVault name into one OneDrive accepts.
func encodeName(s string) string {
	reserved := reservedNames[strings.ToLower(s)]
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(rawByteBase + rune(s[i]))
			i++
			continue
		}
		last := i+n == len(s)
		switch {
		case r == quote || isLookalike(r):
			b.WriteRune(quote)
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || strings.ContainsRune(`"*:<>?\|#%`, r),
			i == 0 && (r == ' ' || r == '~'),
			last && (r == ' ' || r == '.'),
			i == 0 && reserved,
			r == '_' && len(s)-i >= 5 && strings.EqualFold(s[i:i+5], "_vti_"):
			b.WriteRune(lookalike(byte(r)))
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// decodeName reverses encodeName. A lookalike stored by another client
// reads as its ASCII original, which encodeName maps back to the same name.
func decodeName(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r == quote || isLookalike(r) }) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == quote && i+1 < len(rs) && (rs[i+1] == quote || isLookalike(rs[i+1])):
			i++
			b.WriteRune(rs[i])
		case r >= rawByteBase && r <= rawByteBase+0xFF:
			b.WriteByte(byte(r - rawByteBase))
		case r >= 0xFF01 && r <= 0xFF5E:
			b.WriteByte(byte(r - 0xFEE0))
		case r == '␠':
			b.WriteByte(' ')
		case r == '␡':
			b.WriteByte(0x7f)
		case r >= 0x2401 && r < 0x2420:
			b.WriteByte(byte(r - 0x2400))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// encodePath encodes every element of a cleaned absolute name and escapes it
// for a URL path: "/a b/c?" becomes "/a%20b/c%EF%BC%9F". "/" gives "".
func encodePath(name string) string {
	var b strings.Builder
	for el := range strings.SplitSeq(strings.Trim(name, "/"), "/") {
		if el != "" {
			b.WriteByte('/')
			b.WriteString(url.PathEscape(encodeName(el)))
		}
	}
	return b.String()
}
