package backends

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
)

// Move renames src to dst within b: with b's Mover, or by streaming a copy
// and removing the source.
func Move(ctx context.Context, b Backend, src, dst string) error {
	if mv, ok := b.(Mover); ok {
		return mv.Move(ctx, src, dst)
	}
	if err := CopyTree(ctx, b, src, b, dst); err != nil {
		return err
	}
	return RemoveAll(ctx, b, src)
}

// RemoveAll removes name and, for a folder, everything below it: with b's
// RemoveAller, or by walking the tree.
func RemoveAll(ctx context.Context, b Backend, name string) error {
	fi, err := b.Stat(ctx, name)
	if err != nil {
		return err
	}
	if ra, ok := b.(RemoveAller); ok && fi.IsDir {
		return ra.RemoveAll(ctx, name)
	}
	if fi.IsDir {
		list, err := b.List(ctx, name)
		if err != nil {
			return err
		}
		for _, c := range list {
			if err := RemoveAll(ctx, b, path.Join(name, c.Name)); err != nil {
				return err
			}
		}
	}
	return b.Delete(ctx, name)
}

// CopyTree streams src of backend from (a file, or a folder with everything
// below it) to dst of backend to, which may be the same backend. dst's
// parent must exist; an existing file at dst is replaced.
func CopyTree(ctx context.Context, from Backend, src string, to Backend, dst string) error {
	fi, err := from.Stat(ctx, src)
	if err != nil {
		return err
	}
	if !fi.IsDir {
		rc, err := from.Open(ctx, src, 0, -1)
		if err != nil {
			return err
		}
		defer rc.Close()
		_, err = to.Put(ctx, dst, rc, fi.Size)
		return err
	}
	if err := to.Mkdir(ctx, dst); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	list, err := from.List(ctx, src)
	if err != nil {
		return err
	}
	for _, c := range list {
		if err := CopyTree(ctx, from, path.Join(src, c.Name), to, path.Join(dst, c.Name)); err != nil {
			return fmt.Errorf("copy %q: %w", path.Join(src, c.Name), err)
		}
	}
	return nil
}

// TreeSize returns the bytes stored at name: a file's size, or the sum of
// every file below a folder.
func TreeSize(ctx context.Context, b Backend, name string) (int64, error) {
	fi, err := b.Stat(ctx, name)
	if err != nil || !fi.IsDir {
		return fi.Size, err
	}
	return dirSize(ctx, b, name)
}

func dirSize(ctx context.Context, b Backend, dir string) (int64, error) {
	list, err := b.List(ctx, dir)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, c := range list {
		if !c.IsDir {
			n += c.Size
			continue
		}
		sub, err := dirSize(ctx, b, path.Join(dir, c.Name))
		if err != nil {
			return 0, err
		}
		n += sub
	}
	return n, nil
}
