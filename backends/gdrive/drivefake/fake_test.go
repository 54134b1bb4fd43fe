package drivefake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

type client struct {
	t    *testing.T
	f    *Fake
	auth string
}

func newClient(t *testing.T) *client {
	f := New(t)
	return &client{t: t, f: f, auth: "Bearer " + f.Token()}
}

// do sends a request; u is relative to the fake's URL unless absolute.
func (c *client) do(method, u string, body []byte, hdr ...string) (*http.Response, []byte) {
	c.t.Helper()
	if !strings.HasPrefix(u, "http") {
		u = c.f.URL + u
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body == nil {
		req.Body = http.NoBody
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func (c *client) json(method, u string, in any, want int, out any) {
	c.t.Helper()
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	resp, b := c.do(method, u, body, "Content-Type", "application/json")
	if resp.StatusCode != want {
		c.t.Fatalf("%s %s: %s %s, want %d", method, u, resp.Status, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, u, err, b)
		}
	}
}

// wantError checks Drive's error body.
func wantError(t *testing.T, resp *http.Response, b []byte, status int, reason string) {
	t.Helper()
	var e struct {
		Error struct {
			Errors  []struct{ Domain, Reason, Message string }
			Code    int
			Message string
		}
	}
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("error body %q: %v", b, err)
	}
	if resp.StatusCode != status || e.Error.Code != status || len(e.Error.Errors) != 1 ||
		e.Error.Errors[0].Reason != reason || e.Error.Errors[0].Domain == "" || e.Error.Message == "" {
		t.Errorf("got %s %s, want %d with reason %s", resp.Status, b, status, reason)
	}
}

func TestAuth(t *testing.T) {
	c := newClient(t)
	c.auth = ""
	resp, b := c.do("GET", "/drive/v3/files/root", nil)
	wantError(t, resp, b, 401, "required")
	c.auth = "Bearer wrong"
	resp, b = c.do("GET", "/drive/v3/files/root", nil)
	wantError(t, resp, b, 401, "authError")
	c.auth = "Bearer " + c.f.Token()
	c.json("GET", "/drive/v3/files/root", nil, 200, nil)
	c.f.ExpireToken()
	resp, b = c.do("GET", "/drive/v3/files/root", nil)
	wantError(t, resp, b, 401, "authError")
	c.f.SetToken("new")
	c.auth = "Bearer new"
	c.json("GET", "/drive/v3/files/root", nil, 200, nil)
}

func TestQueryParser(t *testing.T) {
	for _, q := range []string{
		`'root' in parents`,
		`'abc' in parents and trashed = false`,
		`'abc' in parents and name = 'it\'s a \\ name' and trashed = false`,
		`trashed=true and 'x' in parents`,
		`'x' in parents and mimeType = 'application/vnd.google-apps.folder'`,
		`'x' in parents and mimeType != 'application/vnd.google-apps.folder'`,
	} {
		if _, err := parseQuery(q); err != nil {
			t.Errorf("parseQuery(%q): %v", q, err)
		}
	}
	got, _ := parseQuery(`'p' in parents and name = 'it\'s \\'`)
	if got.parent != "p" || got.name == nil || *got.name != `it's \` {
		t.Errorf("parsed %+v", got)
	}
	for _, q := range []string{
		``,
		`name = 'x'`, // no parent
		`'x' in parents or name = 'y'`,
		`'x' in parents and name contains 'y'`,
		`'x' in parents and not trashed = true`,
		`'x' in parents and (name = 'y')`,
		`'x' in parents and name = "y"`,
		`'x' in parents and name = 'y\n'`,
		`'x' in parents and name = 'unterminated`,
		`'x' in parents and 'y' in parents`,
		`'x' in parents and modifiedTime > '2020-01-01'`,
		`'x' in parents name = 'y'`,
		`'x' in parents and`,
	} {
		if _, err := parseQuery(q); err == nil {
			t.Errorf("parseQuery(%q) succeeded", q)
		}
	}
	c := newClient(t)
	resp, b := c.do("GET", "/drive/v3/files?q="+url.QueryEscape(`name contains 'x'`), nil)
	wantError(t, resp, b, 400, "invalid")
	resp, b = c.do("GET", "/drive/v3/files?orderBy=name&q="+url.QueryEscape(`'root' in parents`), nil)
	wantError(t, resp, b, 400, "invalid")
}

func TestFields(t *testing.T) {
	sel, err := parseFields("nextPageToken, files(id,md5Checksum),kind")
	if err != nil || sel["files"] == nil || len(sel["files"]) != 2 || len(sel) != 3 {
		t.Errorf("parseFields: %v, %v", sel, err)
	}
	for _, s := range []string{"", "files(", "files(id", "files()", "a,,b", ")"} {
		if _, err := parseFields(s); err == nil {
			t.Errorf("parseFields(%q) succeeded", s)
		}
	}
	c := newClient(t)
	id := c.f.AddFile("root", "f", "text/plain", []byte("hello"))
	var m map[string]any
	c.json("GET", "/drive/v3/files/"+id, nil, 200, &m) // v3's default fields
	if len(m) != 4 || m["id"] != id || m["name"] != "f" || m["mimeType"] != "text/plain" || m["kind"] != "drive#file" {
		t.Errorf("default fields: %v", m)
	}
	c.json("GET", "/drive/v3/files/"+id+"?fields=size,md5Checksum,version,parents", nil, 200, &m)
	if m["size"] != "5" || m["md5Checksum"] != "5d41402abc4b2a76b9719d911017c592" || m["version"] != "1" {
		t.Errorf("selected fields: %v", m)
	}
	resp, b := c.do("GET", "/drive/v3/files/"+id+"?fields=sizes", nil)
	wantError(t, resp, b, 400, "invalid")
	resp, b = c.do("GET", "/drive/v3/about", nil)
	wantError(t, resp, b, 400, "required")
	var about struct{ StorageQuota map[string]string }
	c.json("GET", "/drive/v3/about?fields=storageQuota", nil, 200, &about)
	if about.StorageQuota["usage"] != "5" || about.StorageQuota["limit"] != "16106127360" {
		t.Errorf("about: %+v", about)
	}
}

func TestPaging(t *testing.T) {
	c := newClient(t)
	c.f.PageSize(3)
	var want []string
	for range 10 {
		want = append(want, c.f.AddFile("root", "same name", "text/plain", nil))
	}
	trashed := c.f.AddFile("root", "gone", "text/plain", nil)
	c.json("PATCH", "/drive/v3/files/"+trashed, map[string]any{"trashed": true}, 200, nil)
	var got []string
	token := ""
	for pages := 0; ; pages++ {
		var page struct {
			NextPageToken string
			Files         []struct{ ID string }
		}
		u := "/drive/v3/files?pageSize=1000&fields=nextPageToken,files(id)&q=" + url.QueryEscape(`'root' in parents and trashed = false`)
		if token != "" {
			u += "&pageToken=" + token
		}
		c.json("GET", u, nil, 200, &page)
		if len(page.Files) > 3 {
			t.Fatalf("page of %d", len(page.Files))
		}
		for _, f := range page.Files {
			got = append(got, f.ID)
		}
		if token = page.NextPageToken; token == "" {
			break
		}
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("listed %d ids, want the %d same-name siblings once each", len(got), len(want))
	}
}

func TestResumable(t *testing.T) {
	c := newClient(t)
	id := c.f.AddFile("root", "f", "text/plain", []byte("old content"))
	resp, b := c.do("PATCH", "/upload/drive/v3/files/"+id+"?uploadType=resumable&fields=id,size,md5Checksum", []byte("{}"),
		"Content-Type", "application/json", "X-Upload-Content-Length", "600000")
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 200 || loc == "" {
		t.Fatalf("start: %s %s", resp.Status, b)
	}
	chunk := func(data []byte, cr string) (*http.Response, []byte) {
		return c.do("PUT", loc, data, "Content-Range", cr)
	}
	data := bytes.Repeat([]byte("0123456789"), 60000)

	resp, b = chunk(data[:100000], "bytes 0-99999/600000") // not a multiple of 256 KiB
	wantError(t, resp, b, 400, "badContent")
	resp, _ = chunk(data[:ChunkUnit], "bytes 0-262143/600000")
	if resp.StatusCode != 308 || resp.Header.Get("Range") != "bytes=0-262143" {
		t.Fatalf("chunk: %s, Range %q", resp.Status, resp.Header.Get("Range"))
	}
	resp, _ = chunk(nil, "bytes */600000") // status query
	if resp.StatusCode != 308 || resp.Header.Get("Range") != "bytes=0-262143" {
		t.Fatalf("status: %s, Range %q", resp.Status, resp.Header.Get("Range"))
	}
	resp, b = chunk(data[:ChunkUnit], "bytes 0-262143/600000") // again: out of order
	wantError(t, resp, b, 400, "badContent")
	resp, b = chunk(data[ChunkUnit:], "bytes 262144-599999/700000") // total changed
	wantError(t, resp, b, 400, "badContent")
	if got, _ := c.f.Content(id); string(got) != "old content" {
		t.Errorf("content replaced before the upload completed: %d bytes", len(got))
	}
	resp, b = chunk(data[ChunkUnit:], "bytes 262144-599999/600000")
	var done struct {
		ID, Size, MD5Checksum string
	}
	if resp.StatusCode != 200 || json.Unmarshal(b, &done) != nil || done.ID != id || done.Size != "600000" {
		t.Fatalf("final chunk: %s %s", resp.Status, b)
	}
	if got, _ := c.f.Content(id); !bytes.Equal(got, data) {
		t.Error("content differs")
	}
	if resp, _ = chunk(nil, "bytes */600000"); resp.StatusCode != 200 {
		t.Errorf("status of a completed session: %s", resp.Status)
	}

	// Unknown size: chunks with "/*", an empty last one names the total;
	// a cancelled session leaves nothing.
	for _, cancel := range []bool{false, true} {
		resp, b = c.do("POST", "/upload/drive/v3/files?uploadType=resumable&fields=id,size", []byte(`{"name":"new","parents":["root"]}`),
			"Content-Type", "application/json")
		loc = resp.Header.Get("Location")
		if resp.StatusCode != 200 || loc == "" {
			t.Fatalf("start: %s %s", resp.Status, b)
		}
		if resp, _ = chunk(data[:ChunkUnit], "bytes 0-262143/*"); resp.StatusCode != 308 {
			t.Fatalf("chunk: %s", resp.Status)
		}
		if resp, _ = chunk(nil, "bytes */*"); resp.StatusCode != 308 || resp.Header.Get("Range") != "bytes=0-262143" {
			t.Fatalf("status: %s %q", resp.Status, resp.Header.Get("Range"))
		}
		if cancel {
			if resp, _ = c.do("DELETE", loc, nil); resp.StatusCode != 499 {
				t.Errorf("cancel: %s", resp.Status)
			}
			resp, b = chunk(nil, "bytes */262144")
			wantError(t, resp, b, 404, "notFound")
			continue
		}
		if resp, b = chunk(nil, "bytes */262144"); resp.StatusCode != 200 {
			t.Fatalf("end: %s %s", resp.Status, b)
		}
	}
	if n := len(c.f.Children("root", "new")); n != 1 {
		t.Errorf("%d files named new, want the one completed", n)
	}
	if n := c.f.Sessions(); n != 0 {
		t.Errorf("%d sessions open", n)
	}
	resp, b = c.do("POST", "/upload/drive/v3/files?uploadType=multipart", []byte("x"))
	wantError(t, resp, b, 400, "invalid")
}

func TestDownload(t *testing.T) {
	c := newClient(t)
	id := c.f.AddFile("root", "f", "text/plain", []byte("0123456789"))
	resp, b := c.do("GET", "/drive/v3/files/"+id+"?alt=media", nil, "Range", "bytes=2-4")
	if resp.StatusCode != 206 || string(b) != "234" {
		t.Errorf("range: %s %q", resp.Status, b)
	}
	if resp, _ = c.do("GET", "/drive/v3/files/"+id+"?alt=media", nil, "Range", "bytes=10-"); resp.StatusCode != 416 {
		t.Errorf("range past the end: %s", resp.Status)
	}
	doc := c.f.AddFile("root", "doc", DocType, nil)
	resp, b = c.do("GET", "/drive/v3/files/"+doc+"?alt=media", nil)
	wantError(t, resp, b, 403, "fileNotDownloadable")
	resp, b = c.do("GET", "/drive/v3/files/nope?alt=media", nil)
	wantError(t, resp, b, 404, "notFound")
}

func TestFaults(t *testing.T) {
	c := newClient(t)
	c.f.Inject(1, Fault{Status: 403})
	c.f.Inject(1, Fault{Status: 429})
	c.f.Inject(1, Fault{Op: "about.get", Status: 503})
	resp, b := c.do("GET", "/drive/v3/files/root", nil)
	wantError(t, resp, b, 403, "userRateLimitExceeded")
	resp, b = c.do("GET", "/drive/v3/files/root", nil)
	wantError(t, resp, b, 429, "rateLimitExceeded")
	c.json("GET", "/drive/v3/files/root", nil, 200, nil) // the 503 waits for about.get
	resp, b = c.do("GET", "/drive/v3/about?fields=storageQuota", nil)
	wantError(t, resp, b, 503, "backendError")
	if c.f.Pending() != 0 || c.f.Count("files.get") != 3 || c.f.Count("about.get") != 1 {
		t.Errorf("pending %d, counts %d %d", c.f.Pending(), c.f.Count("files.get"), c.f.Count("about.get"))
	}
}

func TestMoveRules(t *testing.T) {
	c := newClient(t)
	a := c.f.AddFolder("root", "a")
	b := c.f.AddFolder(a, "b")
	f := c.f.AddFile("root", "f", "text/plain", nil)
	resp, body := c.do("PATCH", "/drive/v3/files/"+f+"?addParents="+a, []byte("{}"), "Content-Type", "application/json")
	wantError(t, resp, body, 403, "cannotAddParent") // one parent only
	resp, body = c.do("PATCH", "/drive/v3/files/"+a+"?addParents="+b+"&removeParents=root", []byte("{}"), "Content-Type", "application/json")
	wantError(t, resp, body, 400, "invalid") // into itself
	resp, body = c.do("PATCH", "/drive/v3/files/"+f, []byte(`{"size":"3"}`), "Content-Type", "application/json")
	wantError(t, resp, body, 403, "fieldNotWritable")
	c.json("PATCH", "/drive/v3/files/"+f+"?addParents="+b+"&removeParents=root", map[string]any{"name": "g"}, 200, nil)
	if got, _ := c.f.Get(f); got.Parent != b || got.Name != "g" || got.Version != 2 {
		t.Errorf("after the move: %+v", got)
	}
	c.json("PATCH", "/drive/v3/files/"+a, map[string]any{"trashed": true}, 200, nil)
	if got, _ := c.f.Get(f); !got.Trashed {
		t.Error("a file in a trashed folder is not trashed")
	}
}
