package davfs

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestRenameLastModified(t *testing.T) {
	cases := map[string]string{
		`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:getlastmodified>Mon, 02 Jan 2006 15:04:05 GMT</D:getlastmodified></D:prop></D:set></D:propertyupdate>`:                           "Mon, 02 Jan 2006 15:04:05 GMT",
		`<propertyupdate xmlns="DAV:"><set><prop><getlastmodified xmlns="DAV:">Tue, 03 Jan 2006 15:04:05 GMT</getlastmodified><x:y xmlns:x="urn:z">keep</x:y></prop></set></propertyupdate>`: "Tue, 03 Jan 2006 15:04:05 GMT",
		`<a:propertyupdate xmlns:a="DAV:"><a:set><a:prop><a:getlastmodified/></a:prop></a:set></a:propertyupdate>`:                                                                           "",
	}
	for in, want := range cases {
		out := renameLastModified([]byte(in))
		var v struct {
			Got []struct {
				XMLName xml.Name
				Text    string `xml:",chardata"`
			} `xml:"set>prop>getlastmodified"`
			Other string `xml:"set>prop>y"`
		}
		if err := xml.Unmarshal(out, &v); err != nil {
			t.Fatalf("%s -> %s: %v", in, out, err)
		}
		if len(v.Got) != 1 || v.Got[0].XMLName.Space != mtimeSpace || v.Got[0].Text != want {
			t.Errorf("%s\n-> %s\ngot %+v", in, out, v.Got)
		}
		if strings.Contains(in, "keep") && v.Other != "keep" {
			t.Errorf("other property lost: %s", out)
		}
	}
	for _, in := range []string{``, `<D:prop xmlns:D="DAV:"><D:displayname/></D:prop>`, `<broken`, `<x xmlns="urn:other"><getlastmodified/></x>`} {
		if out := string(renameLastModified([]byte(in))); out != in {
			t.Errorf("%q changed to %q", in, out)
		}
	}
}
