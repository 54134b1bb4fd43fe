package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/docuvault/docuvault/auth"
	"github.com/docuvault/docuvault/storage"
	"github.com/docuvault/docuvault/store"
)

const storageUsage = `storage show USER
storage set USER --kind local|s3|webdav [kind flags] [--secret-stdin]   the home storage
storage mount USER /Name --kind … [kind flags] [--secret-stdin]         an extra top-level folder
storage unmount USER /Name`

// storage manages where users' files live.
func (e env) storage(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("storage: want one of:\n" + storageUsage)
	}
	sub := args[0]
	var spec storage.Spec
	var secretStdin, noCheck bool
	c, pos, err := e.flags("storage "+sub, args[1:], func(fs *flag.FlagSet) {
		if sub != "set" && sub != "mount" {
			return
		}
		fs.StringVar(&spec.Kind, "kind", "", "local, s3 or webdav")
		fs.StringVar(&spec.Dir, "dir", "", "local: absolute directory (default: under --data)")
		fs.StringVar(&spec.Endpoint, "endpoint", "", "s3: host[:port]")
		fs.StringVar(&spec.Region, "region", "", "s3: region")
		fs.StringVar(&spec.Bucket, "bucket", "", "s3: bucket")
		fs.StringVar(&spec.Prefix, "prefix", "", "s3: key prefix")
		fs.StringVar(&spec.AccessKey, "access-key", "", "s3: access key id")
		fs.BoolVar(&spec.UseTLS, "tls", false, "s3: use HTTPS")
		fs.StringVar(&spec.URL, "url", "", "webdav: server URL")
		fs.StringVar(&spec.Username, "username", "", "webdav: user name")
		fs.BoolVar(&spec.Nextcloud, "nextcloud", false, "webdav: Nextcloud layout (remote.php/dav/files/USER/) with an app password")
		fs.BoolVar(&secretStdin, "secret-stdin", false, "read the secret (s3 secret key, webdav password) from standard input")
		fs.BoolVar(&noCheck, "no-check", false, "save without connecting first")
	})
	if err != nil {
		return err
	}
	want := map[string]int{"show": 1, "set": 1, "mount": 2, "unmount": 2}
	n, ok := want[sub]
	if !ok {
		return fmt.Errorf("storage: unknown subcommand %q; want one of:\n%s", sub, storageUsage)
	}
	if len(pos) != n {
		return fmt.Errorf("storage %s: wrong arguments; usage:\n%s", sub, storageUsage)
	}
	if storage.IsOAuth(spec.Kind) {
		return fmt.Errorf("storage %s: a %s storage is connected by its owner in the web interface (Storage → Connect), which signs in at the provider", sub, spec.Kind)
	}
	mount := "/"
	if n == 2 {
		mount = "/" + strings.Trim(pos[1], "/")
	}
	if secretStdin {
		s, err := e.readPassword()
		if err != nil {
			return err
		}
		f := storage.SecretField(spec.Kind)
		if f == "" {
			return fmt.Errorf("storage %s: --secret-stdin: a %q storage takes no secret", sub, spec.Kind)
		}
		spec.Secrets = map[string]string{f: s}
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.UserByName(ctx, pos[0])
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("storage %s: no user %q", sub, pos[0])
	}
	if err != nil {
		return err
	}
	op, err := e.opener(c, st)
	if err != nil {
		return err
	}
	var done string
	switch sub {
	case "show":
		return e.showStorage(ctx, st, op, u)
	case "unmount":
		err = storage.Remove(ctx, st, op, u, mount)
		switch {
		case errors.Is(err, storage.ErrHome):
			return errors.New("storage unmount: the home storage cannot be unmounted; use storage set")
		case errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("storage unmount: %q has nothing mounted at %s", u.Username, mount)
		}
		done = fmt.Sprintf("unmounted %s of %q (its files stay on that storage)", mount, u.Username)
	default:
		err = storage.Apply(ctx, st, op, u, mount, spec, !noCheck)
		var ce *storage.CheckError
		if errors.As(err, &ce) {
			return fmt.Errorf("storage %s: %w (--no-check saves anyway)", sub, err)
		}
		done = fmt.Sprintf("%q now keeps %s on %s storage", u.Username, mount, spec.Kind)
	}
	if err != nil && !errors.Is(err, storage.ErrNotCounted) && !errors.Is(err, storage.ErrNotRevoked) {
		return fmt.Errorf("storage %s: %w", sub, err)
	}
	fmt.Fprintln(e.stdout, done)
	if err != nil {
		fmt.Fprintf(e.stderr, "warning: %v\n", err)
		return nil
	}
	if u, err = st.UserByID(ctx, u.ID); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "counted %s in use by %q\n", formatBytes(u.UsedBytes), u.Username)
	return nil
}

func (e env) showStorage(ctx context.Context, st *store.Store, op *storage.Opener, u store.User) error {
	rows, err := st.Storages(ctx, u.ID)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MOUNT\tKIND\tWHERE\tSECRET")
	if len(rows) == 0 || rows[0].Mount != "/" {
		fmt.Fprintln(tw, "/\tlocal\t(default: under the data directory)\t-")
	}
	for _, r := range rows {
		spec, err := storage.SpecOf(r, op.Keys)
		where, secretState := "", "-"
		if r.Secrets != "" {
			secretState = "set (encrypted)"
		}
		if err != nil {
			where = "cannot read: " + err.Error()
		} else {
			switch spec.Kind {
			case storage.Local:
				where = spec.Dir
			case storage.S3:
				where = spec.Endpoint + "/" + spec.Bucket + "/" + spec.Prefix
			case storage.WebDAV:
				where = spec.URL + " as " + spec.Username
			case storage.OneDrive:
				where = "the whole OneDrive (connected in the web interface)"
			case storage.GDrive:
				where = "Google Drive folder " + storage.AppFolder + " (id " + spec.RootID + ")"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Mount, r.Kind, where, secretState)
	}
	quota := "none"
	if u.QuotaBytes > 0 {
		quota = formatBytes(u.QuotaBytes)
	}
	fmt.Fprintf(tw, "\nused %s, quota %s\n", formatBytes(u.UsedBytes), quota)
	return tw.Flush()
}

// rotateKey reseals every stored secret under the current key.
func (e env) rotateKey(ctx context.Context, args []string) error {
	c, pos, err := e.flags("rotate-key", args, nil)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("rotate-key: unexpected argument %q", pos[0])
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	op, err := e.opener(c, st)
	if err != nil {
		return err
	}
	if op.Keys == nil {
		return errors.New("rotate-key: set the new key in DOCUVAULT_ENCRYPTION_KEY and the old ones in DOCUVAULT_OLD_ENCRYPTION_KEYS")
	}
	rows, err := st.AllStorages(ctx)
	if err != nil {
		return err
	}
	changed := 0
	for _, r := range rows {
		// Under the storage's lock, so a concurrent OAuth token refresh
		// and the reseal do not undo each other.
		err := st.UpdateStorageSecrets(ctx, r.UserID, r.Mount, func(cur store.Storage) (string, error) {
			ok, err := storage.Reseal(&cur, op.Keys)
			if !ok || err != nil {
				return "", err
			}
			changed++
			return cur.Secrets, nil
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("rotate-key: %w (resealed %d so far)", err, changed)
		}
	}
	totp, err := auth.ResealTOTP(ctx, st, op.Keys)
	if err != nil {
		return fmt.Errorf("rotate-key: %w (resealed %d storage secrets)", err, changed)
	}
	fmt.Fprintf(e.stdout, "resealed %d of %d storage secrets and %d TOTP secrets under key %s; the old keys can now be removed\n",
		changed, len(rows), totp, op.Keys.CurrentID())
	return nil
}

// parseSize reads "10GiB", "500MB", "1024", "0" or "none" as bytes.
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "none") || s == "0" {
		return 0, nil
	}
	units := []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
		{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(strings.ToUpper(s), strings.ToUpper(u.suffix)) {
			s, mult = strings.TrimSpace(s[:len(s)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < 0 || n*float64(mult) > 1<<62 {
		return 0, fmt.Errorf("invalid size %q: want e.g. 10GiB, 500MB or none", s)
	}
	return int64(n * float64(mult)), nil
}

func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
