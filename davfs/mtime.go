package davfs

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
)

// mtimeSpace is the private namespace DAV:getlastmodified is renamed into in
// a PROPPATCH body. webdav.Handler refuses to patch its live properties, so
// the renamed property reaches file.Patch, which sets the modification time
// and reports it under its real name.
const mtimeSpace = "urn:x-docuvault:set-mtime"

var propLastModified = xml.Name{Space: "DAV:", Local: "getlastmodified"}

// renameLastModified rewrites every DAV:getlastmodified element of an XML
// body into mtimeSpace, leaving all other bytes as they were. It returns the
// body unchanged when there is none or the XML does not parse.
func renameLastModified(body []byte) []byte {
	if !bytes.Contains(body, []byte("getlastmodified")) {
		return body
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	var out bytes.Buffer
	last := int64(0)
	depth := 0 // nesting inside a renamed element, to find its end tag
	for {
		start := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return body
		}
		end := d.InputOffset()
		switch t := tok.(type) {
		case xml.StartElement:
			if depth > 0 {
				depth++
			} else if t.Name == propLastModified {
				raw := string(body[start:end])
				qlen := strings.IndexAny(raw[1:], " \t\r\n/>") + 1
				out.Write(body[last:start])
				out.WriteString(`<dvm:getlastmodified xmlns:dvm="` + mtimeSpace + `"` + raw[qlen:])
				last = end
				depth = 1
			}
		case xml.EndElement:
			if depth == 0 {
				continue
			}
			depth--
			if depth == 0 && end > start { // a self-closed element has no end tag
				out.Write(body[last:start])
				out.WriteString("</dvm:getlastmodified>")
				last = end
			}
		}
	}
	out.Write(body[last:])
	return out.Bytes()
}
