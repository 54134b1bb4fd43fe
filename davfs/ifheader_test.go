package davfs

import (
	"maps"
	"reflect"
	"testing"

	"golang.org/x/net/webdav"
)

func TestParseIf(t *testing.T) {
	tok := func(s string) webdav.Condition { return webdav.Condition{Token: s} }
	notTok := func(s string) webdav.Condition { return webdav.Condition{Token: s, Not: true} }
	tag := func(s string) webdav.Condition { return webdav.Condition{ETag: s} }
	list := func(res string, cs ...webdav.Condition) ifList { return ifList{Resource: res, Conditions: cs} }

	valid := []struct {
		in   string
		want []ifList
	}{
		{`(<urn:uuid:a>)`, []ifList{list("", tok("urn:uuid:a"))}},
		{`(Not <urn:a>)`, []ifList{list("", notTok("urn:a"))}},
		{`(not<urn:a>)`, []ifList{list("", notTok("urn:a"))}},
		{`(["e1"])`, []ifList{list("", tag(`"e1"`))}},
		{`([W/"x"] <urn:a> Not ["y"])`, []ifList{list("", tag(`W/"x"`), tok("urn:a"), webdav.Condition{ETag: `"y"`, Not: true})}},
		{`(<urn:a>) (Not <urn:b> ["e"])`, []ifList{list("", tok("urn:a")), list("", notTok("urn:b"), tag(`"e"`))}},
		{" \t(\t<urn:a>\t) \t", []ifList{list("", tok("urn:a"))}},
		{`(<urn:a>)(<urn:b>)`, []ifList{list("", tok("urn:a")), list("", tok("urn:b"))}},
		{`<http://h/dav/a> (<urn:a>)`, []ifList{list("http://h/dav/a", tok("urn:a"))}},
		{`<http://h/dav/a> (<urn:a>) (<urn:b>) </dav/b> (["e"])`, []ifList{
			list("http://h/dav/a", tok("urn:a")), list("http://h/dav/a", tok("urn:b")), list("/dav/b", tag(`"e"`))}},
		// ')' inside a token or an ETag does not end the list.
		{`(<http://example.com/a(1)>)`, []ifList{list("", tok("http://example.com/a(1)"))}},
		{`(["a)b"])`, []ifList{list("", tag(`"a)b"`))}},
		{`<http://h/dav/a%20(1).txt> (Not <urn:a>)`, []ifList{list("http://h/dav/a%20(1).txt", notTok("urn:a"))}},
		{`<http://localhost/dav/litmus/lockme> (<opaquelocktoken:0af2e0b3-dd6a-4a5a-a1f0-c7a9a3b5a5a5>)`, []ifList{
			list("http://localhost/dav/litmus/lockme", tok("opaquelocktoken:0af2e0b3-dd6a-4a5a-a1f0-c7a9a3b5a5a5"))}},
	}
	for _, c := range valid {
		t.Run("valid "+c.in, func(t *testing.T) {
			got, err := parseIf(c.in)
			if err != nil {
				t.Fatalf("parseIf(%q) = %v", c.in, err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("parseIf(%q)\n got %+v\nwant %+v", c.in, got, c.want)
			}
		})
	}

	malformed := []string{
		``,
		`   `,
		`urn:a`,
		`<urn:a>`, // a tag needs a list
		`()`,      // a list needs a condition
		`( )`,
		`(<urn:a>`,              // unclosed list
		`(<urn:a)`,              // unclosed token
		`(["e")`,                // unclosed ETag
		`(<urn:a>))`,            // stray ')'
		`(<>)`,                  // empty token
		`([])`,                  // empty ETag
		`<> (<urn:a>)`,          // empty tag
		`<http://h/a (<urn:a>)`, // unclosed tag
		`(Not)`,
		`(Not Not <urn:a>)`,
		`(foo)`, // bare word
		`(<urn:a> foo)`,
		`(<urn:a>) x`,
		`(<urn:a>) <http://h/x> (<urn:b>)`,    // tag after untagged lists
		`<http://h/a> <http://h/b> (<urn:a>)`, // tag without lists
		`<http://h/a> (<urn:a>) <http://h/b>`, // trailing tag
		`<http://h/a> (<urn:a>) <http://h/b> ( )`,
	}
	for _, in := range malformed {
		t.Run("malformed "+in, func(t *testing.T) {
			if got, err := parseIf(in); err == nil {
				t.Fatalf("parseIf(%q) = %+v, want an error", in, got)
			}
		})
	}
}

func TestSubmittedTokens(t *testing.T) {
	lists, err := parseIf(`<http://h/a> (<urn:a> ["e"]) (Not <urn:b>) </b> (<urn:c>)`)
	if err != nil {
		t.Fatal(err)
	}
	got := submittedTokens(lists)
	if want := map[string]bool{"urn:a": true, "urn:c": true}; !maps.Equal(got, want) {
		t.Fatalf("submittedTokens = %v, want %v", got, want)
	}
}
