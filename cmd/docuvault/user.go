package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"text/tabwriter"

	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/storage"
	"github.com/docuvault/docuvault/store"
)

var validUsername = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$`)

func (e env) migrate(ctx context.Context, args []string) error {
	c, pos, err := e.flags("migrate", args, nil)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("migrate: unexpected argument %q", pos[0])
	}
	st, err := openDB(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "applied %d migration(s) to the %s database\n", n, st.Dialect())
	return nil
}

func (e env) user(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("user: want add, list, passwd, disable, enable, delete or quota")
	}
	sub := args[0]
	switch sub {
	case "add", "list", "passwd", "disable", "enable", "delete", "quota":
	default:
		return fmt.Errorf("user: unknown subcommand %q: want add, list, passwd, disable, enable, delete or quota", sub)
	}
	var admin, stdinPw bool
	c, pos, err := e.flags("user "+sub, args[1:], func(fs *flag.FlagSet) {
		if sub == "add" {
			fs.BoolVar(&admin, "admin", false, "make the user an administrator")
		}
		if sub == "add" || sub == "passwd" {
			fs.BoolVar(&stdinPw, "password-stdin", false, "read the password from standard input")
		}
	})
	if err != nil {
		return err
	}
	// Check the arguments before touching the database.
	switch {
	case sub == "list" && len(pos) != 0:
		return fmt.Errorf("user list: unexpected argument %q", pos[0])
	case sub == "quota" && len(pos) != 2:
		return errors.New("user quota: want a username and a size (e.g. 10GiB, 500MB, none)")
	case sub != "list" && sub != "quota" && len(pos) != 1:
		return fmt.Errorf("user %s: want exactly one username", sub)
	case sub == "add" && !validUsername.MatchString(pos[0]):
		return fmt.Errorf("user add: invalid username %q: use 1-64 letters, digits, '.', '_' or '-'", pos[0])
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	hasher := auth.NewHasher(auth.DefaultParams, 0)

	if sub == "list" {
		users, err := st.Users(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUSERNAME\tADMIN\tDISABLED\tUSED\tQUOTA\tCREATED")
		for _, u := range users {
			quota := "none"
			if u.QuotaBytes > 0 {
				quota = formatBytes(u.QuotaBytes)
			}
			fmt.Fprintf(tw, "%d\t%s\t%v\t%v\t%s\t%s\t%s\n", u.ID, u.Username, u.IsAdmin, u.Disabled,
				formatBytes(u.UsedBytes), quota, u.CreatedAt.Format("2006-01-02 15:04"))
		}
		return tw.Flush()
	}
	name := pos[0]
	password := func() (string, bool, error) {
		if stdinPw {
			pw, err := e.readPassword()
			return pw, false, err
		}
		return auth.RandomPassword(), true, nil
	}
	switch sub {
	case "add":
		pw, generated, err := password()
		if err != nil {
			return err
		}
		hash, err := hasher.Hash(ctx, pw)
		if err != nil {
			return err
		}
		if _, err := st.CreateUser(ctx, name, hash, admin); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("user add: %q already exists", name)
			}
			return err
		}
		fmt.Fprintf(e.stdout, "created user %q\n", name)
		if generated {
			fmt.Fprintf(e.stdout, "password: %s\n", pw)
		}
		return nil
	}
	u, err := st.UserByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("user %s: no user %q", sub, name)
	}
	if err != nil {
		return err
	}
	switch sub {
	case "passwd":
		pw, generated, err := password()
		if err != nil {
			return err
		}
		hash, err := hasher.Hash(ctx, pw)
		if err != nil {
			return err
		}
		if err := st.SetPassword(ctx, u.ID, hash); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "password of %q changed\n", name)
		if generated {
			fmt.Fprintf(e.stdout, "password: %s\n", pw)
		}
	case "disable", "enable":
		if err := st.SetDisabled(ctx, u.ID, sub == "disable"); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "user %q %sd\n", name, sub)
	case "quota":
		size, err := parseSize(pos[1])
		if err != nil {
			return fmt.Errorf("user quota: %w", err)
		}
		if err := st.SetQuota(ctx, u.ID, size); err != nil {
			return err
		}
		if size == 0 {
			fmt.Fprintf(e.stdout, "%q has no quota\n", name)
		} else {
			fmt.Fprintf(e.stdout, "quota of %q set to %s (%s in use)\n", name, formatBytes(size), formatBytes(u.UsedBytes))
		}
	case "delete":
		op, err := e.opener(c, st)
		if err == nil {
			err = storage.RevokeAll(ctx, op, u.ID)
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "warning: a cloud drive token of %q could not be revoked: %v\n", name, err)
		}
		if err := st.DeleteUser(ctx, u.ID); err != nil {
			return err
		}
		if err := os.RemoveAll(filepath.Join(c.DataDir, "files", strconv.FormatInt(u.ID, 10))); err != nil {
			return fmt.Errorf("user %q deleted, but removing their files failed: %w", name, err)
		}
		fmt.Fprintf(e.stdout, "user %q deleted with their files\n", name)
	default:
		return fmt.Errorf("user: unknown subcommand %q", sub)
	}
	return nil
}
