package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"go.yaml.in/yaml/v3"

	"github.com/docuvault/docuvault/internal/miniotest"
	"github.com/docuvault/docuvault/internal/testserver"
	"github.com/docuvault/docuvault/secret"
	"github.com/docuvault/docuvault/store"
	"github.com/docuvault/docuvault/store/storetest"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case
	args string
}

// stage is one FROM … AS name section.
type stage struct {
	name, image string
	ins         []instruction
}

func parseDockerfile(t *testing.T) (syntax string, args map[string]string, stages []*stage) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	args = map[string]string{}
	var cur strings.Builder
	var lines []string
	for i, l := range strings.Split(string(b), "\n") {
		if i == 0 && strings.HasPrefix(l, "# syntax=") {
			syntax = strings.TrimPrefix(l, "# syntax=")
		}
		trimmed := strings.TrimSpace(l)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if c, ok := strings.CutSuffix(trimmed, "\\"); ok {
			cur.WriteString(c + " ")
			continue
		}
		cur.WriteString(trimmed)
		lines = append(lines, cur.String())
		cur.Reset()
	}
	for _, l := range lines {
		cmd, rest, _ := strings.Cut(l, " ")
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(rest)}
		switch {
		case in.cmd == "ARG" && len(stages) == 0:
			k, v, _ := strings.Cut(in.args, "=")
			args[k] = v
		case in.cmd == "FROM":
			f := strings.Fields(in.args)
			s := &stage{image: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				s.name = f[2]
			}
			stages = append(stages, s)
		case len(stages) > 0:
			stages[len(stages)-1].ins = append(stages[len(stages)-1].ins, in)
		}
	}
	return syntax, args, stages
}

// expand replaces ${NAME} with the build ARG's default.
func expand(s string, args map[string]string) string {
	return os.Expand(s, func(k string) string { return args[k] })
}

func (s *stage) find(cmd string) []instruction {
	var out []instruction
	for _, in := range s.ins {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// runScript strips RUN's --mount and similar flags.
func runScript(in instruction) string {
	f := in.args
	for strings.HasPrefix(f, "--") {
		_, f, _ = strings.Cut(f, " ")
		f = strings.TrimSpace(f)
	}
	return f
}

func TestDockerfile(t *testing.T) {
	syntax, args, stages := parseDockerfile(t)
	if !strings.HasPrefix(syntax, "docker/dockerfile:1") {
		t.Errorf("no `# syntax=docker/dockerfile:1` line (RUN --mount and empty COPY wildcards need BuildKit)")
	}
	byName := map[string]*stage{}
	for _, s := range stages {
		byName[s.name] = s
	}
	if len(stages) < 3 {
		t.Fatalf("%d stages, want UI, Go build and runtime", len(stages))
	}

	t.Run("UI stage", func(t *testing.T) {
		ui := byName["ui"]
		if ui == nil || !strings.HasPrefix(expand(ui.image, args), "node:") {
			t.Fatal("no stage `ui` FROM node")
		}
		runs := ui.find("RUN")
		if len(runs) != 1 || !strings.Contains(runs[0].args, "npm run build") {
			t.Fatalf("want one RUN with npm run build, got %v", runs)
		}
		// Without ui/ (as now) the script must still leave a dist/ to embed.
		dir := t.TempDir()
		cmd := exec.Command("sh", "-c", runScript(runs[0]))
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("the UI stage's script without ui/: %v\n%s", err, out)
		}
		if _, err := os.Stat(filepath.Join(dir, "dist", ".gitkeep")); err != nil {
			t.Errorf("no dist/ for go:embed: %v", err)
		}
	})

	t.Run("Go stage", func(t *testing.T) {
		build := byName["build"]
		if build == nil {
			t.Fatal("no stage `build`")
		}
		image := expand(build.image, args)
		gomod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		goLine := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
		if goLine == nil || !strings.HasPrefix(image, "golang:"+string(goLine[1])) {
			t.Errorf("build image %s does not match go.mod's go %s", image, goLine[1])
		}
		var built bool
		for _, in := range build.find("RUN") {
			if strings.Contains(in.args, "CGO_ENABLED=0") && strings.Contains(in.args, "go build") && strings.Contains(in.args, "./cmd/docuvault") {
				built = true
			}
		}
		if !built {
			t.Error("no RUN with CGO_ENABLED=0 go build ./cmd/docuvault")
		}
		var uiCopied bool
		for _, in := range build.find("COPY") {
			uiCopied = uiCopied || (strings.Contains(in.args, "--from=ui") && strings.HasSuffix(in.args, "./ui/dist"))
		}
		if !uiCopied {
			t.Error("the UI's dist/ is not copied into ui/dist before go build")
		}
	})

	t.Run("runtime stage", func(t *testing.T) {
		final := stages[len(stages)-1]
		users := final.find("USER")
		if len(users) == 0 {
			t.Fatal("the runtime stage has no USER: it would run as root")
		}
		user, _, _ := strings.Cut(users[len(users)-1].args, ":")
		if user == "root" || user == "0" {
			t.Errorf("USER %s", user)
		}
		hc := final.find("HEALTHCHECK")
		if len(hc) != 1 || !strings.Contains(hc[0].args, "CMD") {
			t.Fatalf("HEALTHCHECK: %v", hc)
		}
		var binary string
		for _, in := range final.find("COPY") {
			if strings.Contains(in.args, "--from=build") && strings.Contains(in.args, "/docuvault ") {
				f := strings.Fields(in.args)
				binary = f[len(f)-1]
			}
		}
		if binary == "" {
			t.Fatal("the binary is not copied from the build stage")
		}
		if !strings.Contains(hc[0].args, `"`+binary+`", "healthcheck"`) {
			t.Errorf("HEALTHCHECK %q does not run %s healthcheck", hc[0].args, binary)
		}
		if ep := final.find("ENTRYPOINT"); len(ep) != 1 || !strings.Contains(ep[0].args, `"`+binary+`"`) {
			t.Errorf("ENTRYPOINT %v does not run %s", ep, binary)
		}
		var env string
		for _, in := range final.find("ENV") {
			env += in.args + " "
		}
		listen := regexp.MustCompile(`DOCUVAULT_LISTEN=(\S+)`).FindStringSubmatch(env)
		if listen == nil {
			t.Fatal("no DOCUVAULT_LISTEN in ENV: the default 127.0.0.1 is unreachable from outside a container")
		}
		_, port, _ := strings.Cut(listen[1], ":")
		if ex := final.find("EXPOSE"); len(ex) == 0 || !strings.Contains(ex[0].args, port) {
			t.Errorf("EXPOSE %v does not include the listen port %s", ex, port)
		}
		if !strings.Contains(env, "DOCUVAULT_DATA_DIR=/data") || len(final.find("VOLUME")) == 0 {
			t.Errorf("no /data volume as the data dir")
		}
	})

	t.Run("COPY --from names a stage", func(t *testing.T) {
		for _, s := range stages {
			for _, in := range s.find("COPY") {
				if m := regexp.MustCompile(`--from=(\S+)`).FindStringSubmatch(in.args); m != nil && byName[m[1]] == nil {
					t.Errorf("COPY --from=%s: no such stage", m[1])
				}
			}
		}
	})

	t.Run(".dockerignore", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
		if err != nil {
			t.Fatal(err)
		}
		var patterns []string
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "!") {
				patterns = append(patterns, l)
			}
		}
		for _, must := range []string{".git", "**/node_modules"} {
			if !slices.Contains(patterns, must) {
				t.Errorf(".dockerignore lacks %s", must)
			}
		}
		for _, need := range []string{"go.mod", "go.sum", "cmd/docuvault/main.go", "ui/package.json", "migrations/postgres/00001_init.sql"} {
			for _, p := range patterns {
				if ok, _ := filepath.Match(p, need); ok || strings.HasPrefix(need, p+"/") {
					t.Errorf(".dockerignore pattern %q drops %s, which the build needs", p, need)
				}
			}
		}
	})
}

// compose is the part of a Compose file the tests read.
type compose struct {
	Services map[string]struct {
		Image       string
		Build       any
		Command     any
		Entrypoint  any
		Environment map[string]string
		DependsOn   map[string]struct{ Condition string } `yaml:"depends_on"`
		Healthcheck *struct{ Test []string }
		Volumes     []string
		Ports       []string
		Restart     string
		StopGrace   string `yaml:"stop_grace_period"`
	}
	Volumes map[string]any
}

func loadCompose(t *testing.T) compose {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(false)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c
}

var composeVar = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}`)

// interpolate resolves ${VAR}, ${VAR:-default} and ${VAR:?message} as
// Compose does, and $$ to $; a missing required variable is an error.
func interpolate(s string, vars map[string]string) (string, error) {
	var err error
	out := composeVar.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		g := composeVar.FindStringSubmatch(m)
		v, set := vars[g[1]]
		switch g[2] {
		case ":-":
			if v == "" {
				return g[3]
			}
		case ":?":
			if v == "" {
				err = fmt.Errorf("%s: %s", g[1], g[3])
			}
		case "":
			if !set {
				return ""
			}
		}
		return v
	})
	return out, err
}

func TestComposeFile(t *testing.T) {
	c := loadCompose(t)
	for _, name := range []string{"postgres", "minio", "createbucket", "docuvault"} {
		if _, ok := c.Services[name]; !ok {
			t.Fatalf("no service %q", name)
		}
	}
	dv := c.Services["docuvault"]

	t.Run("health checks", func(t *testing.T) {
		for _, name := range []string{"postgres", "minio", "docuvault"} {
			if hc := c.Services[name].Healthcheck; hc == nil || len(hc.Test) < 2 || hc.Test[0] != "CMD" {
				t.Errorf("%s: healthcheck %+v, want an exec-form test", name, hc)
			}
		}
		_, _, stages := parseDockerfile(t)
		var hc string
		for _, in := range stages[len(stages)-1].find("HEALTHCHECK") {
			hc = in.args
		}
		if got := `"` + strings.Join(dv.Healthcheck.Test[1:], `", "`) + `"`; !strings.Contains(hc, got) {
			t.Errorf("docuvault's compose healthcheck %s differs from the image's %s", got, hc)
		}
	})
	t.Run("docuvault waits for its dependencies", func(t *testing.T) {
		want := map[string]string{"postgres": "service_healthy", "minio": "service_healthy", "createbucket": "service_completed_successfully"}
		for dep, cond := range want {
			if got := dv.DependsOn[dep].Condition; got != cond {
				t.Errorf("depends_on %s: condition %q, want %q", dep, got, cond)
			}
		}
		if got := c.Services["createbucket"].DependsOn["minio"].Condition; got != "service_healthy" {
			t.Errorf("createbucket depends_on minio: %q", got)
		}
		if r := c.Services["createbucket"].Restart; r != "no" {
			t.Errorf("createbucket restart %q: a one-shot must not restart", r)
		}
	})
	t.Run("the bucket is created", func(t *testing.T) {
		cb := c.Services["createbucket"]
		cmd := fmt.Sprint(cb.Entrypoint, cb.Command)
		if !strings.Contains(cmd, "mc mb --ignore-existing") || !strings.Contains(cmd, "$$BUCKET") || cb.Environment["BUCKET"] == "" {
			t.Errorf("createbucket does not create $BUCKET idempotently: %s", cmd)
		}
	})
	t.Run("volumes", func(t *testing.T) {
		mounted := map[string]string{}
		for name, s := range c.Services {
			for _, v := range s.Volumes {
				src, dst, _ := strings.Cut(v, ":")
				if _, ok := c.Volumes[src]; !ok {
					t.Errorf("%s mounts %q, not a declared volume", name, src)
				}
				mounted[name] = dst
			}
		}
		if mounted["docuvault"] != dv.Environment["DOCUVAULT_DATA_DIR"] {
			t.Errorf("docuvault's volume at %q, data dir %q", mounted["docuvault"], dv.Environment["DOCUVAULT_DATA_DIR"])
		}
		for _, name := range []string{"postgres", "minio"} {
			if mounted[name] == "" {
				t.Errorf("%s keeps its data in no volume", name)
			}
		}
	})
	t.Run("secrets come from the environment", func(t *testing.T) {
		secretName := regexp.MustCompile(`PASSWORD|SECRET|_KEY$`)
		for name, s := range c.Services {
			for k, v := range s.Environment {
				if secretName.MatchString(k) && !strings.Contains(v, "${") {
					t.Errorf("%s: %s is written in the file", name, k)
				}
			}
		}
		if !strings.Contains(dv.Environment["DOCUVAULT_ENCRYPTION_KEY"], "${DOCUVAULT_ENCRYPTION_KEY:?") {
			t.Errorf("DOCUVAULT_ENCRYPTION_KEY is not a required variable")
		}
		if _, err := interpolate(dv.Environment["DOCUVAULT_DATABASE_URL"], nil); err == nil {
			t.Errorf("the database URL interpolates without POSTGRES_PASSWORD")
		}
	})
	t.Run("docuvault's settings exist", func(t *testing.T) {
		known := map[string]bool{secret.EnvKey: true, secret.EnvKeyFile: true, secret.EnvOldKeys: true}
		for _, s := range new(config).settings() {
			known[s.env] = true
		}
		for k := range dv.Environment {
			if strings.HasPrefix(k, "DOCUVAULT_") && !known[k] {
				t.Errorf("%s is no DocuVault setting", k)
			}
		}
		vars := map[string]string{"POSTGRES_PASSWORD": "pw", "MINIO_ROOT_PASSWORD": "pw", "DOCUVAULT_ENCRYPTION_KEY": "k"}
		env := map[string]string{}
		for k, v := range dv.Environment {
			iv, err := interpolate(v, vars)
			if err != nil {
				t.Fatal(err)
			}
			env[k] = iv
		}
		env["DOCUVAULT_DATA_DIR"] = t.TempDir()
		cfg, _, err := env2config(t, env)
		if err != nil {
			t.Fatalf("the compose environment does not validate: %v", err)
		}
		u, err := url.Parse(cfg.DatabaseURL)
		if err != nil || u.Hostname() != "postgres" || u.User.Username() != c.Services["postgres"].Environment["POSTGRES_USER"] ||
			strings.TrimPrefix(u.Path, "/") != c.Services["postgres"].Environment["POSTGRES_DB"] {
			t.Errorf("DOCUVAULT_DATABASE_URL does not name the postgres service's user and database")
		}
		_, port, _ := strings.Cut(cfg.Listen, ":")
		if len(dv.Ports) != 1 || !strings.HasSuffix(dv.Ports[0], ":"+port) {
			t.Errorf("ports %v do not publish the listen port %s", dv.Ports, port)
		}
		grace, err1 := time.ParseDuration(dv.StopGrace)
		if err1 != nil || grace <= cfg.shutdownTimeout {
			t.Errorf("stop_grace_period %q must exceed DOCUVAULT_SHUTDOWN_TIMEOUT %v, or SIGKILL cuts the shutdown short", dv.StopGrace, cfg.shutdownTimeout)
		}
	})
	t.Run("docker compose config", func(t *testing.T) {
		composeConfig(t)
	})
}

// env2config validates the settings of env as serve would.
func env2config(t *testing.T, vars map[string]string) (*config, []string, error) {
	t.Helper()
	e := env{getenv: fakeEnv(vars), stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	return e.flags("serve", nil, nil)
}

// composeConfig validates the file with the Compose client when there is
// one (`docker compose` or the standalone docker-compose): with the
// secrets set it must pass, without them it must refuse.
func composeConfig(t *testing.T) {
	var argv []string
	if exec.Command("docker", "compose", "version").Run() == nil {
		argv = []string{"docker", "compose"}
	} else if _, err := exec.LookPath("docker-compose"); err == nil {
		argv = []string{"docker-compose"}
	} else {
		t.Skip("no docker compose client (apt-get install docker-compose)")
	}
	run := func(env ...string) ([]byte, error) {
		cmd := exec.Command(argv[0], append(argv[1:], "-f", filepath.Join(repoRoot, "docker-compose.yml"), "config", "-q")...)
		cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
			return strings.HasPrefix(kv, "POSTGRES_") || strings.HasPrefix(kv, "MINIO_") || strings.HasPrefix(kv, "DOCUVAULT_")
		}), env...)
		return cmd.CombinedOutput()
	}
	if out, err := run("POSTGRES_PASSWORD=a", "MINIO_ROOT_PASSWORD=b", "DOCUVAULT_ENCRYPTION_KEY=c"); err != nil {
		t.Errorf("%s config: %v\n%s", strings.Join(argv, " "), err, out)
	}
	if out, err := run("POSTGRES_PASSWORD=a", "MINIO_ROOT_PASSWORD=b"); err == nil || !bytes.Contains(out, []byte("DOCUVAULT_ENCRYPTION_KEY")) {
		t.Errorf("%s config without DOCUVAULT_ENCRYPTION_KEY: %v\n%s", strings.Join(argv, " "), err, out)
	}
}

// TestComposeStartup runs what `docker compose up` runs, without Docker:
// PostgreSQL and MinIO, the bucket created as the one-shot service does,
// then `docuvault serve` with the docuvault service's environment (service
// host names mapped to the test's servers, listening on 127.0.0.1), its
// health check, and a user whose files go to the bucket.
func TestComposeStartup(t *testing.T) {
	c := loadCompose(t)
	pgPassword, minioPassword := randomHex(16), randomHex(16)
	key := make([]byte, 32)
	rand.Read(key)
	vars := map[string]string{"POSTGRES_PASSWORD": pgPassword, "MINIO_ROOT_PASSWORD": minioPassword,
		"DOCUVAULT_ENCRYPTION_KEY": base64.StdEncoding.EncodeToString(key)}
	env := map[string]string{}
	for k, v := range c.Services["docuvault"].Environment {
		iv, err := interpolate(v, vars)
		if err != nil {
			t.Fatal(err)
		}
		env[k] = iv
	}

	// postgres: a role with the compose password, and its own schema.
	composeURL, err := url.Parse(env["DOCUVAULT_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	dbURL := roleURL(t, "dvcompose_"+randomHex(4), pgPassword)
	if p, _ := composeURL.User.Password(); p != pgPassword {
		t.Fatalf("DOCUVAULT_DATABASE_URL does not carry POSTGRES_PASSWORD")
	}

	// minio and createbucket.
	m := miniotest.Start(t)
	bucket := c.Services["createbucket"].Environment["BUCKET"]
	for range 2 { // mc mb --ignore-existing, on a first and a later start
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		err := m.Client().MakeBucket(ctx, bucket, minio.MakeBucketOptions{})
		cancel()
		if err != nil && minio.ToErrorResponse(err).Code != "BucketAlreadyOwnedByYou" {
			t.Fatalf("make bucket %q: %v", bucket, err)
		}
	}

	// docuvault: the compose environment; 0.0.0.0 and /data become local.
	delete(env, "DOCUVAULT_DATABASE_URL")
	delete(env, "DOCUVAULT_DATA_DIR")
	env["DOCUVAULT_LISTEN"] = "127.0.0.1:0"
	env["DOCUVAULT_METRICS_LISTEN"] = "127.0.0.1:0"
	var procEnv []string
	for k, v := range env {
		procEnv = append(procEnv, k+"="+v)
		t.Setenv(k, v) // for the admin commands below, as `docker compose exec` has it
	}
	s := testserver.Start(t, testserver.Options{DatabaseURL: dbURL, Env: procEnv})
	if !strings.Contains(s.Stdout.String(), `Created the first user "admin"`) {
		t.Errorf("no first admin printed:\n%s", s.Stdout)
	}
	if !strings.Contains(s.Stdout.String(), "Metrics on http://127.0.0.1:") {
		t.Errorf("DOCUVAULT_METRICS_LISTEN not applied:\n%s", s.Stdout)
	}
	jsonLines(t, s.Stderr.String()) // DOCUVAULT_LOG_FORMAT=json

	// The container's health check, as Docker runs it.
	hc := c.Services["docuvault"].Healthcheck.Test
	if out, err := s.Run("", append(hc[2:], "--listen", strings.TrimPrefix(s.URL, "http://"))...); err != nil || strings.TrimSpace(out) != "ok" {
		t.Fatalf("%v: %q %v", hc, out, err)
	}

	s.AddUser("alice", "alice-compose-pw")
	if out, err := s.Run(m.SecretKey+"\n", "storage", "set", "alice", "--kind", "s3", "--endpoint", m.Endpoint,
		"--bucket", bucket, "--prefix", "users/alice", "--access-key", m.AccessKey, "--secret-stdin"); err != nil {
		t.Fatalf("storage set: %v\n%s", err, out)
	}
	if code := status(t, "PUT", s.URL+"/dav/hello.txt", "alice", "alice-compose-pw", nil, "hello from compose"); code != 201 {
		t.Fatalf("PUT: %d", code)
	}
	resp, err := s.Do(t.Context(), "GET", "/dav/hello.txt", "alice", "alice-compose-pw", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "hello from compose" {
		t.Fatalf("GET: %d %q", resp.StatusCode, body)
	}
	if _, err := m.Client().StatObject(t.Context(), bucket, "users/alice/hello.txt", minio.StatObjectOptions{}); err != nil {
		t.Errorf("the file is not in the bucket: %v", err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// roleURL creates a PostgreSQL role with password and a fresh schema it
// owns, and returns a URL that signs in as it.
func roleURL(t *testing.T, role, password string) string {
	t.Helper()
	base := storetest.URL(t, store.Postgres) // skips without TEST_DATABASE_URL
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	st, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, q := range []string{
		fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", role, password),
		fmt.Sprintf("GRANT ALL ON SCHEMA %s TO %s", schema, role),
	} {
		if _, err := st.Exec(q); err != nil {
			t.Fatalf("%s: %v", strings.Split(q, " PASSWORD")[0], err)
		}
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Exec("DROP OWNED BY " + role)
		db.Exec("DROP ROLE " + role)
	})
	u.User = url.UserPassword(role, password)
	return u.String()
}
