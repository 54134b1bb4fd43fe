package store

import (
	"context"
	"database/sql"
	"fmt"
	"path"
)

// Prop is one stored (dead) WebDAV property of a path.
type Prop struct {
	Space, Local string
	Lang         string // xml:lang of the property element, if any
	// XML is the property element's inner XML, as the client sent it.
	XML string
}

// Props returns the properties of one path.
func (s *Store) Props(ctx context.Context, userID int64, p string) ([]Prop, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT path, ns, name, lang, xml FROM dead_props WHERE user_id = ? AND path = ?`), userID, p)
	if err != nil {
		return nil, fmt.Errorf("store: props: %w", err)
	}
	m, err := scanProps(rows)
	return m[p], err
}

// PropsIn returns the properties of every direct child of dir, by path, in
// one query (PROPFIND Depth 1 asks for a whole folder at once).
func (s *Store) PropsIn(ctx context.Context, userID int64, dir string) (map[string][]Prop, error) {
	// The root is its own parent ("/"); it is not its own child.
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT path, ns, name, lang, xml FROM dead_props WHERE user_id = ? AND parent = ? AND path <> ?`),
		userID, dir, dir)
	if err != nil {
		return nil, fmt.Errorf("store: props: %w", err)
	}
	return scanProps(rows)
}

func scanProps(rows *sql.Rows) (map[string][]Prop, error) {
	defer rows.Close()
	out := map[string][]Prop{}
	for rows.Next() {
		var p string
		var pr Prop
		if err := rows.Scan(&p, &pr.Space, &pr.Local, &pr.Lang, &pr.XML); err != nil {
			return nil, fmt.Errorf("store: props: %w", err)
		}
		out[p] = append(out[p], pr)
	}
	return out, rows.Err()
}

// PropOp sets Prop, or with Remove deletes the property of that name.
type PropOp struct {
	Prop
	Remove bool
}

// PatchProps applies ops to one path in order, in one transaction.
func (s *Store) PatchProps(ctx context.Context, userID int64, p string, ops []PropOp) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, op := range ops {
			var err error
			if op.Remove {
				_, err = tx.ExecContext(ctx, s.q(`DELETE FROM dead_props WHERE user_id = ? AND path = ? AND ns = ? AND name = ?`),
					userID, p, op.Space, op.Local)
			} else {
				_, err = tx.ExecContext(ctx, s.q(`INSERT INTO dead_props (user_id, path, parent, ns, name, lang, xml) VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (user_id, path, ns, name) DO UPDATE SET lang = excluded.lang, xml = excluded.xml`),
					userID, p, path.Dir(p), op.Space, op.Local, op.Lang, op.XML)
			}
			if err != nil {
				return fmt.Errorf("store: patch props: %w", err)
			}
		}
		return nil
	})
}

// DeleteProps removes the properties of p and of everything below it.
func (s *Store) DeleteProps(ctx context.Context, userID int64, p string) error {
	lo, hi := descendantRange(p)
	_, err := s.exec(ctx, `DELETE FROM dead_props WHERE user_id = ? AND (path = ? OR (path > ? AND path < ?))`, userID, p, lo, hi)
	if err != nil {
		return fmt.Errorf("store: delete props: %w", err)
	}
	return nil
}

// MoveProps moves the properties of src and everything below it to dst,
// replacing whatever dst and everything below it had. dst must not be below
// src.
func (s *Store) MoveProps(ctx context.Context, userID int64, src, dst string) error {
	if src == dst {
		return nil
	}
	if IsBelow(dst, src) {
		return fmt.Errorf("store: move props: %q is below %q", dst, src)
	}
	const subtree = `user_id = ? AND (path = ? OR (path > ? AND path < ?))`
	return s.tx(ctx, func(tx *sql.Tx) error {
		// Read src first: when src is below dst, clearing dst clears src too.
		lo, hi := descendantRange(src)
		rows, err := tx.QueryContext(ctx, s.q(`SELECT path, ns, name, lang, xml FROM dead_props WHERE `+subtree), userID, src, lo, hi)
		if err != nil {
			return fmt.Errorf("store: move props: %w", err)
		}
		moved, err := scanProps(rows)
		if err != nil {
			return err
		}
		dlo, dhi := descendantRange(dst)
		for _, args := range [][]any{{userID, src, lo, hi}, {userID, dst, dlo, dhi}} {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM dead_props WHERE `+subtree), args...); err != nil {
				return fmt.Errorf("store: move props: %w", err)
			}
		}
		for p, props := range moved {
			np := path.Join(dst, p[len(src):])
			for _, pr := range props {
				if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO dead_props (user_id, path, parent, ns, name, lang, xml) VALUES (?, ?, ?, ?, ?, ?, ?)`),
					userID, np, path.Dir(np), pr.Space, pr.Local, pr.Lang, pr.XML); err != nil {
					return fmt.Errorf("store: move props: %w", err)
				}
			}
		}
		return nil
	})
}
