// Command docuvault is the DocuVault server and its administration tool.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "docuvault:", err)
		os.Exit(1)
	}
}

const usage = `usage: docuvault <command> [flags]

commands:
  serve                      run the server (default: SQLite and files under ./data, 127.0.0.1:8080)
  migrate                    apply database migrations and exit
  healthcheck [--url URL]    exit 0 if the server of this configuration is ready (/readyz)
  user add NAME [--admin]    create a user (a random password is printed unless --password-stdin)
  user list                  list users
  user passwd NAME           set a new password (random unless --password-stdin)
  user disable|enable NAME   stop or allow sign-in
  user delete NAME           delete a user with their files, properties and locks
  user quota NAME SIZE       set a quota (10GiB, 500MB, none)
  storage show USER          where a user's files live
  storage set USER --kind K  put the home on local, s3 or webdav storage (secret from --secret-stdin)
  storage mount USER /Name --kind K   add a storage as a top-level folder; storage unmount USER /Name
  rotate-key                 reseal stored secrets under DOCUVAULT_ENCRYPTION_KEY

Run "docuvault <command> -h" for the flags of a command.`

// env is what a command needs from its process.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return e.serve(ctx, args[1:])
	case "migrate":
		return e.migrate(ctx, args[1:])
	case "healthcheck":
		return e.healthcheck(ctx, args[1:])
	case "storage":
		return e.storage(ctx, args[1:])
	case "rotate-key":
		return e.rotateKey(ctx, args[1:])
	case "user":
		return e.user(ctx, args[1:])
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// flags parses a command's flags with the shared configuration bound, and
// returns the positional arguments (flags may come before or after them).
func (e env) flags(name string, args []string, extra func(*flag.FlagSet)) (*config, []string, error) {
	fs := flag.NewFlagSet("docuvault "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var c config
	c.bind(fs, e.getenv)
	if extra != nil {
		extra(fs)
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if err := c.validate(); err != nil {
		return nil, nil, err
	}
	return &c, pos, nil
}

// readPassword reads one line from stdin.
func (e env) readPassword() (string, error) {
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("empty password on standard input")
	}
	return pw, nil
}
