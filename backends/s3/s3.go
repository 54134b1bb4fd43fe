// Package s3 stores files in an S3-compatible bucket (AWS S3, MinIO, …)
// through minio-go.
//
// Layout: a name maps to the key Prefix + name without its leading slash.
// Folders are key prefixes; Mkdir writes a zero-byte marker object "dir/" so
// an empty folder persists. A folder exists when its marker or any key below
// it exists, so folders written by other tools (no markers) are seen too.
// Removing the last entry of a folder that has no marker writes one, so a
// folder never vanishes because its last file was deleted or moved away.
// Should a key exist both as a file and as a folder (possible when other tools
// write the bucket), the file wins.
//
// Times, to the second: a file's ModTime is the object's LastModified, which
// S3 sets on every write and which cannot be changed. A folder's is its
// marker's, i.e. when it was made (for a folder without marker: that of the
// first key below it). List finds a subfolder's time with one request per
// subfolder, eight at a time. The driver is not a backends.Toucher: a time
// kept in user metadata (X-Amz-Meta-Mtime) could be read by Stat, but S3
// listings do not return metadata, so List would have to HEAD every file or
// report times that disagree with Stat, and changing metadata rewrites the
// object (a server-side copy, a new ETag).
//
// Uploads stream with one part buffer of Config.PartSize (default 16 MiB).
// Known sizes up to PartSize go up in one PUT; larger ones and unknown sizes
// use a multipart upload, which S3 makes visible only on completion; any
// failure aborts it, so the previous object stays. An upload of unknown size
// reads its first MiB before choosing: small bodies take one PUT. Unknown
// sizes are limited to PartSize × 10,000 parts (156 GiB at 16 MiB); for known
// sizes beyond that the part grows to size/10,000.
//
// Moves copy server-side and then delete; a folder move copies every key
// below it first, removes the copies again if any copy fails (reporting the
// keys in a *MoveError), and deletes the sources only once all are copied.
// Objects over 5 GiB are copied with a multipart copy (ComposeObject).
//
// Errors: a missing key or bucket wraps fs.ErrNotExist, access denied
// fs.ErrPermission, an unreachable service, a timeout or a 5xx answer
// backends.ErrUnavailable. Errors name the user-visible path, never the key
// prefix, the endpoint's credentials or a request signature.
package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"

	"github.com/docuvault/docuvault/backends"
)

const (
	// DefaultPartSize is the multipart part size, and so the buffer one
	// upload holds, when Config.PartSize is zero.
	DefaultPartSize = 16 << 20
	minPartSize     = 5 << 20
	maxPartSize     = 5 << 30
	maxParts        = 10000
	// peekSize is read from an upload of unknown size to send small bodies
	// in one PUT.
	peekSize = 1 << 20
	// maxCopySize is the largest object one CopyObject request copies.
	maxCopySize = 5 << 30
	// copyWorkers copies of a folder move run at once.
	copyWorkers = 8
)

// Config describes one bucket namespace.
type Config struct {
	Endpoint  string // host[:port] without scheme, e.g. "s3.eu-central-1.amazonaws.com" or "127.0.0.1:9000"
	Region    string // optional; found from the bucket when empty
	Bucket    string
	Prefix    string // key prefix of this namespace, e.g. "users/42"; empty for the whole bucket
	AccessKey string
	SecretKey string
	UseTLS    bool
	// PartSize is the multipart part size in bytes, 5 MiB to 5 GiB; 0 means
	// DefaultPartSize. Every upload in flight holds one buffer of this size.
	PartSize int64
	// MaxRetries bounds the attempts per request (default 3), so a request
	// fails with backends.ErrUnavailable within seconds when the service is down.
	MaxRetries int
	// Transport is the HTTP transport; nil uses minio-go's default. Set it
	// for custom TLS roots or proxies.
	Transport http.RoundTripper
}

// String describes c without the secret key.
func (c Config) String() string {
	scheme := "http"
	if c.UseTLS {
		scheme = "https"
	}
	return fmt.Sprintf("s3 %s://%s/%s/%s (access key %q)", scheme, c.Endpoint, c.Bucket, c.Prefix, c.AccessKey)
}

// GoString keeps the secret key out of %#v.
func (c Config) GoString() string { return c.String() }

// Store is a backend on one bucket and key prefix.
type Store struct {
	client   *minio.Client
	bucket   string
	prefix   string // "" or ending in "/"
	partSize int64
}

var (
	_ backends.Backend     = (*Store)(nil)
	_ backends.Mover       = (*Store)(nil)
	_ backends.RemoveAller = (*Store)(nil)
	_ backends.Presigner   = (*Store)(nil)
)

// New validates cfg, connects and checks that the bucket exists. The prefix
// needs no preparation: an absent prefix is an empty root.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("s3: config: bucket is required")
	}
	if err := s3utils.CheckValidBucketName(cfg.Bucket); err != nil {
		return nil, fmt.Errorf("s3: config: bucket %q: %v", cfg.Bucket, err)
	}
	if err := checkEndpoint(cfg.Endpoint); err != nil {
		return nil, err
	}
	if (cfg.AccessKey == "") != (cfg.SecretKey == "") {
		return nil, errors.New("s3: config: set both access key and secret key, or neither for anonymous access")
	}
	prefix, err := cleanPrefix(cfg.Prefix)
	if err != nil {
		return nil, err
	}
	partSize := cfg.PartSize
	if partSize == 0 {
		partSize = DefaultPartSize
	}
	if partSize < minPartSize || partSize > maxPartSize {
		return nil, fmt.Errorf("s3: config: part size %d outside 5 MiB..5 GiB", cfg.PartSize)
	}
	retries := cfg.MaxRetries
	if retries <= 0 {
		retries = 3
	}
	opts := &minio.Options{
		Secure:     cfg.UseTLS,
		Region:     cfg.Region,
		Transport:  cfg.Transport,
		MaxRetries: retries,
	}
	if cfg.AccessKey != "" {
		opts.Creds = credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")
	} else {
		opts.Creds = credentials.New(&credentials.Static{}) // anonymous
	}
	client, err := minio.New(cfg.Endpoint, opts)
	if err != nil {
		return nil, fmt.Errorf("s3: config: endpoint %q: %v", cfg.Endpoint, err)
	}
	s := &Store{client: client, bucket: cfg.Bucket, prefix: prefix, partSize: partSize}
	ok, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, s.fail("open bucket", cfg.Bucket, err)
	}
	if !ok {
		return nil, fmt.Errorf("s3: bucket %q does not exist: %w", cfg.Bucket, fs.ErrNotExist)
	}
	return s, nil
}

func checkEndpoint(ep string) error {
	switch {
	case ep == "":
		return errors.New("s3: config: endpoint is required (host[:port])")
	case strings.Contains(ep, "://"):
		return fmt.Errorf("s3: config: endpoint %q: give host[:port] without a scheme; UseTLS selects https", ep)
	}
	u, err := url.Parse("//" + ep)
	if err != nil || u.Host != ep || u.Hostname() == "" || u.User != nil {
		return fmt.Errorf("s3: config: endpoint %q: want host[:port] without path", ep)
	}
	return nil
}

func cleanPrefix(p string) (string, error) {
	p = strings.Trim(p, "/")
	if p == "" {
		return "", nil
	}
	for _, el := range strings.Split(p, "/") {
		if el == "" || el == "." || el == ".." {
			return "", fmt.Errorf("s3: config: prefix %q: empty, \".\" or \"..\" element", p)
		}
	}
	return p + "/", nil
}

// clean makes name absolute and clean; callers pass clean names already.
func clean(name string) string { return path.Clean("/" + name) }

// key is the object key of file name.
func (s *Store) key(name string) string { return s.prefix + strings.TrimPrefix(clean(name), "/") }

// dirKey is the key prefix of the entries below folder name, which is also
// its marker's key.
func (s *Store) dirKey(name string) string {
	if clean(name) == "/" {
		return s.prefix
	}
	return s.key(name) + "/"
}

// nameOf turns a key back into a user-visible name.
func (s *Store) nameOf(key string) string {
	return "/" + strings.TrimSuffix(strings.TrimPrefix(key, s.prefix), "/")
}

// modTime is t to the second: HEAD answers carry no more, listings do.
func modTime(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

func fileInfo(name string, oi minio.ObjectInfo) backends.FileInfo {
	return backends.FileInfo{Name: path.Base(clean(name)), Size: oi.Size, ModTime: modTime(oi.LastModified), ETag: oi.ETag}
}

// statFile HEADs the object of name.
func (s *Store) statFile(ctx context.Context, name string) (backends.FileInfo, error) {
	oi, err := s.client.StatObject(ctx, s.bucket, s.key(name), minio.StatObjectOptions{})
	if err != nil {
		return backends.FileInfo{}, s.fail("stat", name, err)
	}
	return fileInfo(name, oi), nil
}

// firstKeys returns up to n keys starting with prefix.
func (s *Store) firstKeys(ctx context.Context, prefix string, n int) ([]string, error) {
	var keys []string
	for oi := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true, MaxKeys: n}) {
		if oi.Err != nil {
			return nil, oi.Err
		}
		keys = append(keys, oi.Key)
		if len(keys) == n {
			break
		}
	}
	return keys, nil
}

// dirStat reports whether folder name exists, i.e. its marker or a key below
// it does, and its time: that of the first key below it, which is the
// marker when there is one (it sorts first). The root always exists.
func (s *Store) dirStat(ctx context.Context, name string) (bool, time.Time, error) {
	for oi := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.dirKey(name), Recursive: true, MaxKeys: 1}) {
		if oi.Err != nil {
			return false, time.Time{}, s.fail("stat", name, oi.Err)
		}
		return true, modTime(oi.LastModified), nil
	}
	return clean(name) == "/", time.Time{}, nil
}

// isDir reports whether folder name exists.
func (s *Store) isDir(ctx context.Context, name string) (bool, error) {
	if clean(name) == "/" {
		return true, nil
	}
	ok, _, err := s.dirStat(ctx, name)
	return ok, err
}

func (s *Store) Stat(ctx context.Context, name string) (backends.FileInfo, error) {
	if clean(name) == "/" {
		_, mt, err := s.dirStat(ctx, name) // also fails when the bucket is gone
		if err != nil {
			return backends.FileInfo{}, err
		}
		return backends.FileInfo{Name: "/", IsDir: true, ModTime: mt}, nil
	}
	fi, err := s.statFile(ctx, name)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return fi, err
	}
	dir, mt, err := s.dirStat(ctx, name)
	if err != nil {
		return backends.FileInfo{}, err
	}
	if !dir {
		return backends.FileInfo{}, fmt.Errorf("s3: stat %q: %w", name, fs.ErrNotExist)
	}
	return backends.FileInfo{Name: path.Base(clean(name)), IsDir: true, ModTime: mt}, nil
}

// needParent checks that the parent of name is a folder.
func (s *Store) needParent(ctx context.Context, op, name string) error {
	parent := path.Dir(clean(name))
	dir, err := s.isDir(ctx, parent)
	if err != nil || dir {
		return err
	}
	if _, err := s.statFile(ctx, parent); err == nil {
		return fmt.Errorf("s3: %s %q: parent is a file: %w", op, name, fs.ErrInvalid)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return fmt.Errorf("s3: %s %q: parent folder: %w", op, name, fs.ErrNotExist)
}

// keepParent writes the marker of name's parent folder when removing name
// left the folder with no key at all.
func (s *Store) keepParent(ctx context.Context, name string) error {
	parent := path.Dir(clean(name))
	if parent == "/" {
		return nil
	}
	dir, err := s.isDir(ctx, parent)
	if err != nil || dir {
		return err
	}
	_, err = s.client.PutObject(ctx, s.bucket, s.dirKey(parent), bytes.NewReader(nil), 0, minio.PutObjectOptions{})
	return s.fail("keep folder", parent, err)
}

func (s *Store) List(ctx context.Context, dir string) ([]backends.FileInfo, error) {
	prefix := s.dirKey(dir)
	var out []backends.FileInfo
	files := map[string]bool{}
	var dirs []string
	found := false
	for oi := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix}) {
		if oi.Err != nil {
			return nil, s.fail("list", dir, oi.Err)
		}
		found = true
		rest := strings.TrimPrefix(oi.Key, prefix)
		switch {
		case rest == "": // this folder's marker
		case strings.HasSuffix(rest, "/"):
			if n := strings.TrimSuffix(rest, "/"); n != "" {
				dirs = append(dirs, n)
			}
		default:
			files[rest] = true
			out = append(out, fileInfo(rest, oi))
		}
	}
	dirs = slices.DeleteFunc(dirs, func(d string) bool { return files[d] }) // the file wins, as in Stat
	infos, err := s.dirInfos(ctx, dir, dirs)
	if err != nil {
		return nil, err
	}
	out = append(out, infos...)
	if found || clean(dir) == "/" {
		return out, nil
	}
	if _, err := s.statFile(ctx, dir); err == nil {
		return nil, fmt.Errorf("s3: list %q: not a folder: %w", dir, fs.ErrInvalid)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return nil, fmt.Errorf("s3: list %q: %w", dir, fs.ErrNotExist)
}

// dirInfos describes the subfolders names of dir, finding their times with
// copyWorkers requests at a time.
func (s *Store) dirInfos(ctx context.Context, dir string, names []string) ([]backends.FileInfo, error) {
	out := make([]backends.FileInfo, len(names))
	errs := make([]error, len(names))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(copyWorkers, len(names)) {
		wg.Go(func() {
			for i := range next {
				_, mt, err := s.dirStat(ctx, path.Join(clean(dir), names[i]))
				out[i], errs[i] = backends.FileInfo{Name: names[i], IsDir: true, ModTime: mt}, err
			}
		})
	}
	for i := range names {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) Open(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	if clean(name) == "/" {
		return nil, fmt.Errorf("s3: open %q: is a folder: %w", name, fs.ErrInvalid)
	}
	if offset < 0 {
		return nil, fmt.Errorf("s3: open %q: negative offset: %w", name, fs.ErrInvalid)
	}
	var opts minio.GetObjectOptions
	switch {
	case length == 0:
		fi, err := s.Stat(ctx, name)
		if err != nil {
			return nil, err
		}
		if fi.IsDir {
			return nil, fmt.Errorf("s3: open %q: is a folder: %w", name, fs.ErrInvalid)
		}
		return io.NopCloser(strings.NewReader("")), nil
	case length > 0:
		opts.SetRange(offset, offset+length-1)
	case offset > 0:
		opts.SetRange(offset, 0)
	}
	core := minio.Core{Client: s.client}
	body, _, _, err := core.GetObject(ctx, s.bucket, s.key(name), opts)
	if err == nil {
		return &mappedBody{body, s, name}, nil
	}
	var er minio.ErrorResponse
	if errors.As(err, &er) && er.Code == "InvalidRange" {
		return io.NopCloser(strings.NewReader("")), nil // offset at or past the end
	}
	err = s.fail("open", name, err)
	if errors.Is(err, fs.ErrNotExist) {
		if dir, derr := s.isDir(ctx, name); derr == nil && dir {
			return nil, fmt.Errorf("s3: open %q: is a folder: %w", name, fs.ErrInvalid)
		}
	}
	return nil, err
}

// mappedBody maps read errors of an object body like every other error.
type mappedBody struct {
	io.ReadCloser
	s    *Store
	name string
}

func (b *mappedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = b.s.fail("read", b.name, err)
	}
	return n, err
}

func (s *Store) Put(ctx context.Context, name string, r io.Reader, size int64) (backends.FileInfo, error) {
	if clean(name) == "/" {
		return backends.FileInfo{}, fmt.Errorf("s3: put %q: %w", name, fs.ErrInvalid)
	}
	if err := s.needParent(ctx, "put", name); err != nil {
		return backends.FileInfo{}, err
	}
	if dir, err := s.isDir(ctx, name); err != nil {
		return backends.FileInfo{}, err
	} else if dir {
		return backends.FileInfo{}, fmt.Errorf("s3: put %q: is a folder: %w", name, fs.ErrInvalid)
	}
	body := &exactReader{ctx: ctx, r: r, left: size}
	info, err := s.upload(ctx, s.key(name), body, size)
	switch {
	case err == nil:
	case body.err != nil: // the source failed or had the wrong length
		return backends.FileInfo{}, fmt.Errorf("s3: put %q: %w", name, body.err)
	case ctx.Err() != nil:
		return backends.FileInfo{}, fmt.Errorf("s3: put %q: %w", name, ctx.Err())
	default:
		return backends.FileInfo{}, s.fail("put", name, err)
	}
	if fi, err := s.statFile(ctx, name); err == nil {
		return fi, nil
	}
	// Stored, but the HEAD failed: answer from the upload itself.
	mt := info.LastModified
	if mt.IsZero() {
		mt = time.Now().UTC()
	}
	return backends.FileInfo{Name: path.Base(clean(name)), Size: info.Size, ModTime: mt, ETag: info.ETag}, nil
}

func (s *Store) upload(ctx context.Context, key string, body *exactReader, size int64) (minio.UploadInfo, error) {
	opts := minio.PutObjectOptions{PartSize: uint64(s.partSize)}
	if size == 0 { // net/http would send a non-nil body of length 0 chunked
		if _, err := body.Read(make([]byte, 1)); err != io.EOF {
			return minio.UploadInfo{}, err
		}
		return s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(nil), 0, opts)
	}
	if size > 0 {
		// Known size: one PUT up to PartSize, else parts of at least
		// size/10,000 (S3's part limit), rounded up to a MiB.
		if need := (size + maxParts - 1) / maxParts; need > s.partSize {
			opts.PartSize = uint64((need + 1<<20 - 1) &^ (1<<20 - 1))
		}
		return s.client.PutObject(ctx, s.bucket, key, body, size, opts)
	}
	head := make([]byte, peekSize)
	n, err := io.ReadFull(body, head)
	switch err {
	case io.EOF, io.ErrUnexpectedEOF: // small: one PUT of known length
		return s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(head[:n]), int64(n), opts)
	case nil:
		return s.client.PutObject(ctx, s.bucket, key, io.MultiReader(bytes.NewReader(head), body), -1, opts)
	default:
		return minio.UploadInfo{}, err
	}
}

var (
	errShort = fmt.Errorf("body shorter than its declared size: %w", io.ErrUnexpectedEOF)
	errLong  = errors.New("body longer than its declared size")
)

// exactReader passes r through, stops when ctx is done and, for a known
// size, fails before handing over the last bytes unless r ends exactly there
// (so neither a short nor a long body completes an upload). It hides any
// io.ReaderAt/io.Seeker of r, which would make minio-go upload in parallel
// with one buffer per thread. The first error it returns is kept in err.
type exactReader struct {
	ctx  context.Context
	r    io.Reader
	left int64 // bytes still expected; < 0 when unknown
	err  error
	eof  bool
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if e.eof {
		return 0, io.EOF
	}
	if err := e.ctx.Err(); err != nil {
		e.err = err
		return 0, err
	}
	if e.left == 0 {
		return e.probeEnd()
	}
	if e.left > 0 && int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	if e.left > 0 {
		e.left -= int64(n)
		if err == io.EOF && e.left > 0 {
			e.err = errShort
			return 0, e.err
		}
		if e.left == 0 && err == nil {
			if _, err := e.probeEnd(); err != io.EOF {
				return 0, err
			}
			return n, nil
		}
	}
	switch {
	case err == io.EOF:
		e.eof = true
	case err != nil:
		e.err = err
	}
	return n, err
}

// probeEnd checks that r has nothing beyond the declared size.
func (e *exactReader) probeEnd() (int, error) {
	var b [1]byte
	for {
		n, err := e.r.Read(b[:])
		switch {
		case n > 0:
			e.err = errLong
			return 0, e.err
		case err == io.EOF:
			e.eof = true
			return 0, io.EOF
		case err != nil:
			e.err = err
			return 0, err
		}
	}
}

func (s *Store) Delete(ctx context.Context, name string) error {
	if clean(name) == "/" {
		return fmt.Errorf("s3: delete root: %w", fs.ErrPermission)
	}
	var key string
	if _, err := s.statFile(ctx, name); err == nil {
		key = s.key(name)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	} else {
		key = s.dirKey(name)
		keys, err := s.firstKeys(ctx, key, 2)
		if err != nil {
			return s.fail("delete", name, err)
		}
		switch {
		case len(keys) == 0:
			return fmt.Errorf("s3: delete %q: %w", name, fs.ErrNotExist)
		case len(keys) > 1 || keys[0] != key:
			return fmt.Errorf("s3: delete %q: folder not empty: %w", name, fs.ErrExist)
		}
	}
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return s.fail("delete", name, err)
	}
	return s.keepParent(ctx, name)
}

func (s *Store) Mkdir(ctx context.Context, name string) error {
	if clean(name) == "/" {
		return fmt.Errorf("s3: mkdir %q: %w", name, fs.ErrExist)
	}
	if _, err := s.Stat(ctx, name); err == nil {
		return fmt.Errorf("s3: mkdir %q: %w", name, fs.ErrExist)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := s.needParent(ctx, "mkdir", name); err != nil {
		return err
	}
	_, err := s.client.PutObject(ctx, s.bucket, s.dirKey(name), bytes.NewReader(nil), 0, minio.PutObjectOptions{})
	return s.fail("mkdir", name, err)
}

// PresignGet returns a URL from which anyone holding it can GET file name
// until expiry (1 s to 7 days) has passed. The URL names the endpoint as
// configured, so browsers must be able to reach it.
func (s *Store) PresignGet(ctx context.Context, name string, expiry time.Duration) (*url.URL, error) {
	fi, err := s.Stat(ctx, name)
	if err != nil {
		return nil, err
	}
	if fi.IsDir {
		return nil, fmt.Errorf("s3: presign %q: is a folder: %w", name, fs.ErrInvalid)
	}
	u, err := s.client.PresignedGetObject(ctx, s.bucket, s.key(name), expiry, nil)
	if err != nil {
		return nil, s.fail("presign", name, err)
	}
	return u, nil
}
