package s3

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
)

// MoveError reports a folder move that did not complete. Names are the
// user-visible names of the entries (a folder's marker shows as the folder).
type MoveError struct {
	Src, Dst string
	Total    int // entries (keys) below Src
	// Stage is "copy" when copying failed: the copies made (Copied) were
	// removed again when RolledBack, leaving the source unchanged. Stage is
	// "remove" when every entry was copied but removing the sources in
	// Failed failed: those entries now exist at both places.
	Stage      string
	Copied     []string
	Failed     []NameError
	RolledBack bool
	// Left lists copies that a failed rollback left at Dst.
	Left []string
}

// NameError is the failure of one entry.
type NameError struct {
	Name string
	Err  error
}

func (e *MoveError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "s3: move %q to %q: ", e.Src, e.Dst)
	if e.Stage == "remove" {
		fmt.Fprintf(&b, "all %d entries copied, but %d sources could not be removed and exist at both places: %s",
			e.Total, len(e.Failed), listFailures(e.Failed))
		return b.String()
	}
	fmt.Fprintf(&b, "copied %d of %d entries; %d failed: %s; ", len(e.Copied), e.Total, len(e.Failed), listFailures(e.Failed))
	if e.RolledBack {
		b.WriteString("copies removed, source unchanged")
	} else {
		fmt.Fprintf(&b, "source unchanged, %d copies left at destination: %s", len(e.Left), listNames(e.Left))
	}
	return b.String()
}

// Unwrap exposes the causes, so errors.Is finds e.g. backends.ErrUnavailable.
func (e *MoveError) Unwrap() []error {
	errs := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		errs[i] = f.Err
	}
	return errs
}

const maxListed = 10

func listFailures(failures []NameError) string {
	parts := make([]string, 0, maxListed+1)
	for i, f := range failures {
		if i == maxListed {
			parts = append(parts, fmt.Sprintf("and %d more", len(failures)-maxListed))
			break
		}
		parts = append(parts, fmt.Sprintf("%q (%v)", f.Name, f.Err))
	}
	return strings.Join(parts, ", ")
}

func listNames(names []string) string {
	parts := make([]string, 0, maxListed+1)
	for i, n := range names {
		if i == maxListed {
			parts = append(parts, fmt.Sprintf("and %d more", len(names)-maxListed))
			break
		}
		parts = append(parts, fmt.Sprintf("%q", n))
	}
	return strings.Join(parts, ", ")
}

// Move renames a file or a folder with everything below it. A file replaces
// a file at dst; a folder may replace an empty folder. A failed folder move
// returns a *MoveError.
func (s *Store) Move(ctx context.Context, src, dst string) error {
	src, dst = clean(src), clean(dst)
	if src == "/" || dst == "/" {
		return fmt.Errorf("s3: move %q to %q: root: %w", src, dst, fs.ErrPermission)
	}
	if strings.HasPrefix(dst, src+"/") {
		return fmt.Errorf("s3: move %q into itself: %w", src, fs.ErrInvalid)
	}
	fi, err := s.Stat(ctx, src)
	if err != nil {
		return err
	}
	if src == dst {
		return nil
	}
	if err := s.needParent(ctx, "move", dst); err != nil {
		return err
	}
	dfi, err := s.Stat(ctx, dst)
	dstExists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if !fi.IsDir {
		if dstExists && dfi.IsDir {
			return fmt.Errorf("s3: move %q to %q: destination is a folder: %w", src, dst, fs.ErrExist)
		}
		if err := s.copyKey(ctx, s.key(src), s.key(dst), fi.Size); err != nil {
			return s.fail("move", src, err)
		}
		if err := s.client.RemoveObject(ctx, s.bucket, s.key(src), minio.RemoveObjectOptions{}); err != nil {
			return fmt.Errorf("s3: move %q to %q: copied, but the source stays: %w", src, dst, s.fail("remove", src, err))
		}
		return s.keepParent(ctx, src)
	}
	if dstExists {
		if !dfi.IsDir {
			return fmt.Errorf("s3: move %q to %q: destination is a file: %w", src, dst, fs.ErrExist)
		}
		keys, err := s.firstKeys(ctx, s.dirKey(dst), 2)
		if err != nil {
			return s.fail("move", dst, err)
		}
		if len(keys) > 1 || len(keys) == 1 && keys[0] != s.dirKey(dst) {
			return fmt.Errorf("s3: move %q to %q: destination folder not empty: %w", src, dst, fs.ErrExist)
		}
	}
	return s.moveDir(ctx, src, dst, dstExists)
}

type object struct {
	key  string
	size int64
}

func (s *Store) moveDir(ctx context.Context, src, dst string, dstExists bool) error {
	from, to := s.dirKey(src), s.dirKey(dst)
	var objs []object
	hasMarker := false
	for oi := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: from, Recursive: true}) {
		if oi.Err != nil {
			return s.fail("move", src, oi.Err)
		}
		objs = append(objs, object{oi.Key, oi.Size})
		hasMarker = hasMarker || oi.Key == from
	}
	if !hasMarker { // keep the folder even if it had none
		objs = append(objs, object{key: from})
	}
	merr := &MoveError{Src: src, Dst: dst, Total: len(objs)}

	// Copy everything; on any failure remove the copies again.
	var mu sync.Mutex
	var copied []object
	work := make(chan object)
	var wg sync.WaitGroup
	for range copyWorkers {
		wg.Go(func() {
			for o := range work {
				var err error
				if o.key == from && !hasMarker {
					err = s.putMarker(ctx, to)
				} else {
					err = s.copyKey(ctx, o.key, to+strings.TrimPrefix(o.key, from), o.size)
				}
				mu.Lock()
				if err != nil {
					merr.Failed = append(merr.Failed, NameError{s.nameOf(o.key), cause(err)})
				} else {
					copied = append(copied, o)
					merr.Copied = append(merr.Copied, s.nameOf(o.key))
				}
				mu.Unlock()
			}
		})
	}
	for _, o := range objs {
		work <- o
	}
	close(work)
	wg.Wait()

	if len(merr.Failed) > 0 {
		merr.Stage = "copy"
		// Roll back even when ctx is what failed.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		var undo []string
		for _, o := range copied {
			k := to + strings.TrimPrefix(o.key, from)
			if k == to && dstExists {
				continue // the empty folder that was there before
			}
			undo = append(undo, k)
		}
		for _, f := range s.removeKeys(rctx, undo) {
			merr.Left = append(merr.Left, f.Name)
		}
		merr.RolledBack = len(merr.Left) == 0
		return merr
	}

	srcKeys := make([]string, 0, len(objs))
	for _, o := range objs {
		if o.key != from || hasMarker {
			srcKeys = append(srcKeys, o.key)
		}
	}
	if failed := s.removeKeys(ctx, srcKeys); len(failed) > 0 {
		merr.Stage = "remove"
		merr.Failed = failed
		return merr
	}
	return s.keepParent(ctx, src)
}

func (s *Store) putMarker(ctx context.Context, key string) error {
	_, err := s.client.PutObject(ctx, s.bucket, key, strings.NewReader(""), 0, minio.PutObjectOptions{})
	return err
}

// copyKey copies one object server-side; over 5 GiB as a multipart copy.
func (s *Store) copyKey(ctx context.Context, from, to string, size int64) error {
	dst := minio.CopyDestOptions{Bucket: s.bucket, Object: to}
	src := minio.CopySrcOptions{Bucket: s.bucket, Object: from}
	var err error
	if size > maxCopySize {
		_, err = s.client.ComposeObject(ctx, dst, src)
	} else {
		_, err = s.client.CopyObject(ctx, dst, src)
	}
	return err
}

// removeKeys deletes keys in batches and returns those it could not delete.
func (s *Store) removeKeys(ctx context.Context, keys []string) []NameError {
	if len(keys) == 0 {
		return nil
	}
	seq := func(yield func(minio.ObjectInfo) bool) {
		for _, k := range keys {
			if !yield(minio.ObjectInfo{Key: k}) {
				return
			}
		}
	}
	return s.removeSeq(ctx, seq, len(keys))
}

func (s *Store) removeSeq(ctx context.Context, seq iter.Seq[minio.ObjectInfo], n int) []NameError {
	results, err := s.client.RemoveObjectsWithIter(ctx, s.bucket, seq, minio.RemoveObjectsOptions{})
	if err != nil {
		return []NameError{{Name: "(all)", Err: cause(err)}}
	}
	var failed []NameError
	done := 0
	for r := range results {
		done++
		if r.Err != nil {
			name := s.nameOf(r.ObjectName)
			if r.ObjectName == "" {
				name = "(batch)"
			}
			failed = append(failed, NameError{name, cause(r.Err)})
		}
	}
	if n >= 0 && done < n && len(failed) == 0 && ctx.Err() != nil {
		failed = append(failed, NameError{"(rest)", cause(ctx.Err())})
	}
	return failed
}

// RemoveAll removes a file, or a folder with everything below it.
func (s *Store) RemoveAll(ctx context.Context, name string) error {
	name = clean(name)
	if name == "/" {
		return fmt.Errorf("s3: remove root: %w", fs.ErrPermission)
	}
	fi, err := s.Stat(ctx, name)
	if err != nil {
		return err
	}
	if !fi.IsDir {
		return s.Delete(ctx, name)
	}
	prefix := s.dirKey(name)
	// An upload landing meanwhile is removed by the next pass.
	for range 3 {
		var listErr error
		found := 0
		seq := func(yield func(minio.ObjectInfo) bool) {
			for oi := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
				if oi.Err != nil {
					listErr = oi.Err
					return
				}
				found++
				if !yield(minio.ObjectInfo{Key: oi.Key}) {
					return
				}
			}
		}
		failed := s.removeSeq(ctx, seq, -1)
		if listErr != nil {
			return s.fail("remove", name, listErr)
		}
		if len(failed) > 0 {
			return fmt.Errorf("s3: remove %q: %d entries could not be removed: %s: %w",
				name, len(failed), listFailures(failed), failed[0].Err)
		}
		if found == 0 {
			break
		}
	}
	return s.keepParent(ctx, name)
}
