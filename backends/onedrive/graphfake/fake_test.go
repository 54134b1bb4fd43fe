package graphfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

type answer struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

func (a answer) code() string {
	e, _ := a.json["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// send makes one request; URLs starting with "/" are below f.URL and get
// the current token.
func send(t *testing.T, f *Fake, method, u string, body []byte, hdr map[string]string) answer {
	t.Helper()
	auth := strings.HasPrefix(u, "/")
	if auth {
		u = f.URL + u
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+f.Token())
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	a.body, _ = io.ReadAll(resp.Body)
	json.Unmarshal(a.body, &a.json)
	return a
}

func want(t *testing.T, a answer, status int, code string) {
	t.Helper()
	if a.status != status || a.code() != code {
		t.Fatalf("answer %d %q (%s), want %d %q", a.status, a.code(), a.body, status, code)
	}
}

func mkdir(t *testing.T, f *Fake, parent, name string) answer {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"name": name, "folder": map[string]any{}, conflictParam: "fail"})
	return send(t, f, "POST", parent+"/children", body, map[string]string{"Content-Type": "application/json"})
}

func TestAuth(t *testing.T) {
	f := New(t)
	a := send(t, f, "GET", f.URL+"/me/drive/root", nil, nil)
	want(t, a, 401, "InvalidAuthenticationToken")
	a = send(t, f, "GET", f.URL+"/me/drive/root", nil, map[string]string{"Authorization": "Bearer nope"})
	want(t, a, 401, "InvalidAuthenticationToken")
	want(t, send(t, f, "GET", "/me/drive/root", nil, nil), 200, "")
	f.ExpireToken()
	a = send(t, f, "GET", "/me/drive/root", nil, nil)
	want(t, a, 401, "InvalidAuthenticationToken")
	if !strings.Contains(string(a.body), "expired") {
		t.Errorf("expired token answer %s", a.body)
	}
	f.SetToken("next")
	want(t, send(t, f, "GET", "/me/drive/root", nil, nil), 200, "")
}

func TestAddressing(t *testing.T) {
	f := New(t)
	a := mkdir(t, f, "/me/drive/root", "Docs")
	want(t, a, 201, "")
	id := a.json["id"].(string)
	want(t, mkdir(t, f, "/me/drive/root", "docs"), 409, "nameAlreadyExists") // case-insensitive
	want(t, mkdir(t, f, "/me/drive/root:/DOCS:", "sub dir"), 201, "")
	for _, p := range []string{"/me/drive/root:/docs/sub%20dir", "/me/drive/root:/Docs/Sub%20Dir:", "/me/drive/items/" + id + ":/sub%20dir:"} {
		a := send(t, f, "GET", p, nil, nil)
		want(t, a, 200, "")
		if a.json["name"] != "sub dir" || a.json["folder"] == nil {
			t.Errorf("GET %s = %s", p, a.body)
		}
	}
	want(t, send(t, f, "GET", "/me/drive/root:/missing", nil, nil), 404, "itemNotFound")
	want(t, send(t, f, "GET", "/me/drive/items/nope", nil, nil), 404, "itemNotFound")
	for _, bad := range []string{"a?b", "a:b", `a"b`, "x.", " x", "x ", "CON", "lpt1", "~$x", "a_VTI_b", "desktop.ini", "a\x01"} {
		want(t, mkdir(t, f, "/me/drive/root", bad), 400, "invalidRequest")
	}
	for _, ok := range []string{"a#b%c", "a？b", "con.txt", "~x", ".x"} {
		want(t, mkdir(t, f, "/me/drive/root", ok), 201, "")
	}
}

func TestPaging(t *testing.T) {
	f := New(t)
	f.PageSize(3)
	for i := range 7 {
		want(t, mkdir(t, f, "/me/drive/root", fmt.Sprintf("d%d", i)), 201, "")
	}
	seen := map[string]bool{}
	next, pages := "/me/drive/root/children", 0
	for next != "" {
		a := send(t, f, "GET", next, nil, nil)
		want(t, a, 200, "")
		pages++
		for _, v := range a.json["value"].([]any) {
			seen[v.(map[string]any)["name"].(string)] = true
		}
		next, _ = a.json["@odata.nextLink"].(string)
		next = strings.TrimPrefix(next, f.URL)
	}
	if len(seen) != 7 || pages != 3 {
		t.Errorf("%d names in %d pages, want 7 in 3", len(seen), pages)
	}
}

func TestSimpleUpload(t *testing.T) {
	f := New(t)
	a := send(t, f, "PUT", "/me/drive/root:/new/deep/f.txt:/content", []byte("one"), nil)
	want(t, a, 201, "") // parents are created, as OneDrive does
	etag := a.json["eTag"]
	a = send(t, f, "PUT", "/me/drive/root:/NEW/deep/f.txt:/content", []byte("two!"), nil)
	want(t, a, 200, "")
	if a.json["eTag"] == etag || a.json["size"].(float64) != 4 {
		t.Errorf("replacement %s", a.body)
	}
	a = send(t, f, "GET", "/me/drive/root:/new", nil, nil)
	if a.json["size"].(float64) != 4 {
		t.Errorf("folder size %v, want its contents' 4", a.json["size"])
	}
	a = send(t, f, "PUT", "/me/drive/root:/big:/content", make([]byte, SimpleUploadLimit+1), nil)
	want(t, a, 413, "requestTooLarge")
	want(t, send(t, f, "PUT", "/me/drive/root:/new:/content", []byte("x"), nil), 409, "nameAlreadyExists")
	want(t, send(t, f, "PUT", "/me/drive/root:/new/deep/f.txt:/content?"+conflictParam+"=fail", []byte("x"), nil), 409, "nameAlreadyExists")
	// A chunked body has no Content-Length.
	req, _ := http.NewRequest("PUT", f.URL+"/me/drive/root:/c:/content", io.MultiReader(strings.NewReader("x")))
	req.Header.Set("Authorization", "Bearer "+f.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("chunked simple upload answered %d", resp.StatusCode)
	}
}

func TestDownload(t *testing.T) {
	f := New(t)
	want(t, send(t, f, "PUT", "/me/drive/root:/f:/content", []byte("0123456789"), nil), 201, "")
	a := send(t, f, "GET", "/me/drive/root:/f:/content", nil, nil)
	loc := a.header.Get("Location")
	if a.status != 302 || !strings.HasPrefix(loc, "http://127.0.0.1:") || strings.HasPrefix(loc, f.URL) {
		t.Fatalf("content answered %d, Location %q", a.status, loc)
	}
	a = send(t, f, "GET", loc, nil, map[string]string{"Range": "bytes=2-4"})
	if a.status != 206 || string(a.body) != "234" {
		t.Errorf("ranged download %d %q", a.status, a.body)
	}
	want(t, send(t, f, "GET", loc, nil, map[string]string{"Authorization": "Bearer " + f.Token()}), 401, "unauthenticated")
	want(t, send(t, f, "GET", "/me/drive/root/content", nil, nil), 400, "invalidRequest")
}

func fragment(t *testing.T, f *Fake, u string, start int64, data []byte, total string) answer {
	t.Helper()
	cr := fmt.Sprintf("bytes %d-%d/%s", start, start+int64(len(data))-1, total)
	return send(t, f, "PUT", u, data, map[string]string{"Content-Range": cr})
}

func TestUploadSession(t *testing.T) {
	f := New(t)
	want(t, send(t, f, "PUT", "/me/drive/root:/f:/content", []byte("old"), nil), 201, "")
	a := send(t, f, "POST", "/me/drive/root:/f:/createUploadSession", []byte(`{"item":{"@microsoft.graph.conflictBehavior":"replace"}}`), nil)
	want(t, a, 200, "")
	u := a.json["uploadUrl"].(string)
	if strings.HasPrefix(u, f.URL) {
		t.Errorf("uploadUrl %q is on the API server", u)
	}
	total := int64(2*FragmentUnit + 100)
	data := bytes.Repeat([]byte("x"), int(total))
	sz := fmt.Sprint(total)

	a = send(t, f, "PUT", u, data[:FragmentUnit], map[string]string{"Content-Range": "bytes 0-327679/" + sz, "Authorization": "Bearer " + f.Token()})
	want(t, a, 401, "unauthenticated")
	want(t, fragment(t, f, u, 0, data[:FragmentUnit], "*"), 400, "invalidRequest")
	want(t, fragment(t, f, u, 0, data[:1000], sz), 400, "invalidRequest") // not a multiple
	want(t, fragment(t, f, u, FragmentUnit, data[:FragmentUnit], sz), 416, "invalidRange")
	a = fragment(t, f, u, 0, data[:FragmentUnit], sz)
	want(t, a, 202, "")
	if r := a.json["nextExpectedRanges"].([]any); r[0] != fmt.Sprintf("%d-%d", FragmentUnit, total-1) {
		t.Errorf("nextExpectedRanges %v", r)
	}
	want(t, fragment(t, f, u, 0, data[:FragmentUnit], sz), 416, "invalidRange")
	want(t, fragment(t, f, u, FragmentUnit, data[:FragmentUnit], fmt.Sprint(total+1)), 400, "invalidRequest")
	a = fragment(t, f, u, FragmentUnit, data[:FragmentUnit], sz)
	want(t, a, 202, "")
	// Not replaced before the last byte.
	a = send(t, f, "GET", "/me/drive/root:/f", nil, nil)
	if a.json["size"].(float64) != 3 {
		t.Errorf("item replaced before the upload completed: %s", a.body)
	}
	a = fragment(t, f, u, 2*FragmentUnit, data[:100], sz)
	want(t, a, 200, "")
	if a.json["size"].(float64) != float64(total) {
		t.Errorf("completed item %s", a.body)
	}
	if f.Sessions() != 0 {
		t.Error("session still open after completion")
	}

	// DELETE cancels.
	a = send(t, f, "POST", "/me/drive/root:/g:/createUploadSession", []byte(`{}`), nil)
	u = a.json["uploadUrl"].(string)
	want(t, fragment(t, f, u, 0, data[:FragmentUnit], sz), 202, "")
	if a := send(t, f, "DELETE", u, nil, nil); a.status != 204 || f.Sessions() != 0 {
		t.Errorf("DELETE answered %d, %d sessions open", a.status, f.Sessions())
	}
	want(t, fragment(t, f, u, FragmentUnit, data[:FragmentUnit], sz), 404, "itemNotFound")
	want(t, send(t, f, "GET", "/me/drive/root:/g", nil, nil), 404, "itemNotFound")
}

func TestThrottleAndQuota(t *testing.T) {
	f := New(t)
	f.Throttle(1, 429, 1500*time.Millisecond)
	a := send(t, f, "GET", "/me/drive", nil, nil)
	want(t, a, 429, "activityLimitReached")
	if a.header.Get("Retry-After") != "2" {
		t.Errorf("Retry-After %q", a.header.Get("Retry-After"))
	}
	want(t, send(t, f, "PUT", "/me/drive/root:/f:/content", []byte("12345"), nil), 201, "")
	f.SetQuota(8)
	a = send(t, f, "GET", "/me/drive", nil, nil)
	q := a.json["quota"].(map[string]any)
	if q["used"].(float64) != 5 || q["remaining"].(float64) != 3 || q["total"].(float64) != 8 {
		t.Errorf("quota %v", q)
	}
	want(t, send(t, f, "PUT", "/me/drive/root:/g:/content", []byte("1234"), nil), 507, "quotaLimitReached")
}

func TestPatchAndDelete(t *testing.T) {
	f := New(t)
	a := mkdir(t, f, "/me/drive/root", "d")
	dir := a.json["id"].(string)
	a = send(t, f, "PUT", "/me/drive/root:/f:/content", []byte("x"), nil)
	id, etag := a.json["id"].(string), a.json["eTag"].(string)
	body := fmt.Sprintf(`{"name":"g","parentReference":{"id":%q},"fileSystemInfo":{"lastModifiedDateTime":"2001-02-03T04:05:06Z"}}`, dir)
	a = send(t, f, "PATCH", "/me/drive/items/"+id, []byte(body), nil)
	want(t, a, 200, "")
	fsi := a.json["fileSystemInfo"].(map[string]any)
	if a.json["name"] != "g" || fsi["lastModifiedDateTime"] != "2001-02-03T04:05:06Z" || a.json["eTag"] == etag {
		t.Errorf("PATCH answered %s", a.body)
	}
	want(t, send(t, f, "PATCH", "/me/drive/items/"+dir, []byte(fmt.Sprintf(`{"parentReference":{"id":%q}}`, dir)), nil), 400, "invalidRequest")
	want(t, send(t, f, "DELETE", "/me/drive/root:/d", nil, map[string]string{"If-Match": etag}), 412, "resourceModified")
	want(t, send(t, f, "DELETE", "/me/drive/root", nil, nil), 403, "accessDenied")
	if a := send(t, f, "DELETE", "/me/drive/root:/d", nil, nil); a.status != 204 {
		t.Errorf("DELETE answered %d", a.status)
	}
	want(t, send(t, f, "GET", "/me/drive/items/"+id, nil, nil), 404, "itemNotFound")
}
