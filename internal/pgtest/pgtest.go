// Package pgtest gives tests a real, throwaway PostgreSQL database.
//
// Start returns the connection string of a new empty database that is
// dropped when the test ends. The databases live on one server per test
// binary, started on first use from the system's PostgreSQL binaries
// (initdb and postgres, found on PATH, under /usr/lib/postgresql/*/bin or
// in /usr/local/bin): a fresh data directory in the temporary directory,
// listening on a free port of 127.0.0.1 only, with its unix socket in that
// directory and fsync off. PostgreSQL refuses to run as root, so when the
// test runs as root the server runs as the postgres user (or nobody).
//
// With BROKERKIT_TEST_DATABASE_URL set, Start creates its databases on
// that server instead (its user must be allowed to create databases).
// Without either, tests skip with a message saying how to enable them,
// except under CI=true, where they fail.
//
// Call Main from TestMain so that the server is stopped and its files
// removed when the tests end:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// Without it the server still dies with the test binary, but its
// directory stays in the temporary directory until a later run sweeps it.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable that points the tests at an existing server.
const EnvURL = "BROKERKIT_TEST_DATABASE_URL"

// dirPrefix starts the name of every data directory this package makes,
// so that a later run can sweep the ones a killed run left behind.
const dirPrefix = "brokerkit-pgtest-"

var (
	once    sync.Once
	shared  *server
	initErr error
	dbSeq   atomic.Int64
)

// errNoBinaries means this machine has no PostgreSQL server to start.
var errNoBinaries = errors.New("no PostgreSQL server binaries (initdb, postgres) on PATH, under /usr/lib/postgresql/*/bin or in /usr/local/bin")

// Start returns the connection string of a new, empty database for t. The
// database is dropped when t ends. See the package documentation for where
// the server comes from.
func Start(t testing.TB) string {
	t.Helper()
	once.Do(func() { shared, initErr = startServer() })
	if initErr != nil {
		unavailable(t, initErr)
		return ""
	}
	name := fmt.Sprintf("brokerkit_test_%d_%d", os.Getpid(), dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := shared.exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := shared.exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: dropping database %s: %v", name, err)
		}
	})
	return shared.dsn(name)
}

// unavailable ends t when there is no server: a skip that says how to get
// one, or a failure under CI=true (where a skip would hide the tests) and
// when a server was there but would not start.
func unavailable(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, errNoBinaries) && os.Getenv("CI") != "true" {
		t.Skipf("pgtest: %v; install PostgreSQL (Debian: apt-get install postgresql) or set %s to a server whose user may create databases", err, EnvURL)
	}
	t.Fatalf("pgtest: %v", err)
}

// Main runs the tests of m and then stops the server that Start started,
// removing its files. Use it as os.Exit(pgtest.Main(m)) in TestMain.
func Main(m *testing.M) int {
	return finish(m.Run())
}

// MainWithDatabase is Main for a package whose examples need a database
// too: examples have no testing.TB to call Start with. It creates one
// database, passes its connection string to setup before the tests run
// (which typically puts it where the examples read it, DATABASE_URL), and
// drops it after them. When no server can be had it behaves as Start does
// for the whole package: it skips every test with a message saying how to
// get a server, or fails under CI=true.
func MainWithDatabase(m *testing.M, setup func(dsn string)) int {
	once.Do(func() { shared, initErr = startServer() })
	if initErr != nil {
		if errors.Is(initErr, errNoBinaries) && os.Getenv("CI") != "true" {
			fmt.Printf("pgtest: skipping this package: %v; install PostgreSQL (Debian: apt-get install postgresql) or set %s to a server whose user may create databases\n", initErr, EnvURL)
			return 0
		}
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", initErr)
		return 1
	}
	name := fmt.Sprintf("brokerkit_main_%d", os.Getpid())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := shared.exec(ctx, "CREATE DATABASE "+name); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: creating database %s: %v\n", name, err)
		return finish(1)
	}
	setup(shared.dsn(name))
	code := m.Run()
	ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := shared.exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: dropping database %s: %v\n", name, err)
		if code == 0 {
			code = 1
		}
	}
	return finish(code)
}

// finish stops the server this binary started, if any.
func finish(code int) int {
	if shared != nil {
		if err := shared.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stopping the server: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// server is the one server of this test binary: either started here (cmd
// set) or the one EnvURL names.
type server struct {
	base *url.URL // admin connection string; its path is replaced per database

	dir    string    // temporary directory holding data and socket
	cmd    *exec.Cmd // the postmaster, when started here
	exited chan struct{}
	log    *tail

	mu    sync.Mutex
	admin *pgx.Conn
}

func startServer() (*server, error) {
	if raw := os.Getenv(EnvURL); raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return nil, fmt.Errorf("%s must be a postgres:// URL", EnvURL)
		}
		return &server{base: u}, nil
	}
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	sweepStaleDirs()
	return launch(bin)
}

// findBinaries returns the directory holding initdb and postgres.
func findBinaries() (string, error) {
	return findBinariesIn(debianGlob, fixedDirs)
}

// Where PostgreSQL's server binaries are looked for besides PATH.
var (
	debianGlob = "/usr/lib/postgresql/*/bin"
	fixedDirs  = []string{"/usr/local/bin", "/usr/local/pgsql/bin"}
)

func findBinariesIn(glob string, fixed []string) (string, error) {
	var dirs []string
	if p, err := exec.LookPath("postgres"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	versions, _ := filepath.Glob(glob)
	// Newest major version first.
	sort.Slice(versions, func(i, j int) bool { return versionOf(versions[i]) > versionOf(versions[j]) })
	dirs = append(dirs, versions...)
	dirs = append(dirs, fixed...)
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errNoBinaries
}

func versionOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// runAs is who runs initdb and postgres: nil for the current user, or an
// unprivileged account when the tests run as root.
type runAs struct {
	uid, gid uint32
	name     string
}

func unprivileged() (*runAs, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		return &runAs{uid: uint32(uid), gid: uint32(gid), name: name}, nil
	}
	return nil, errors.New("running as root and there is neither a postgres nor a nobody user to run PostgreSQL as (it refuses to run as root)")
}

func launch(bin string) (srv *server, err error) {
	as, err := unprivileged()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(tempRoot(as), dirPrefix)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(dir)
		}
	}()
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "sock")
	if err := os.Mkdir(sock, 0o700); err != nil {
		return nil, err
	}
	if as != nil {
		for _, p := range []string{dir, sock} {
			if err := os.Chown(p, int(as.uid), int(as.gid)); err != nil {
				return nil, fmt.Errorf("handing %s to user %s: %w", p, as.name, err)
			}
		}
	}

	initLog := &tail{}
	initdb := command(as, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--no-locale", "--no-sync")
	initdb.Stdout, initdb.Stderr = initLog, initLog
	if err := initdb.Run(); err != nil {
		return nil, fmt.Errorf("initdb (as %s): %w\n%s", as.String(), err, initLog.String())
	}

	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		srv, err := startPostgres(as, bin, dir, data, sock, port)
		if err == nil || attempt == 2 {
			return srv, err
		}
		// Another process may have taken the port in between: try another.
	}
}

func (a *runAs) String() string {
	if a == nil {
		return "the current user"
	}
	return a.name
}

// tempRoot is where the data directory goes: the temporary directory, or
// /tmp when the account PostgreSQL runs as could not reach it.
func tempRoot(as *runAs) string {
	root := os.TempDir()
	if as == nil {
		return root
	}
	for d := root; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return "/tmp"
		}
		if d == filepath.Dir(d) {
			return root
		}
	}
}

func command(as *runAs, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C", "TZ=UTC")
	cmd.SysProcAttr = procAttr(as)
	return cmd
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startPostgres(as *runAs, bin, dir, data, sock string, port int) (*server, error) {
	log := &tail{}
	cmd := command(as, filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port), "-k", sock,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200", "-c", "shared_buffers=32MB",
		"-c", "log_min_messages=warning", "-c", "logging_collector=off")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting postgres: %w", err)
	}
	srv := &server{
		base:   &url.URL{Scheme: "postgres", User: url.User("postgres"), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Path: "/postgres", RawQuery: "sslmode=disable"},
		dir:    dir,
		cmd:    cmd,
		exited: make(chan struct{}),
		log:    log,
	}
	go func() { _ = cmd.Wait(); close(srv.exited) }()

	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, srv.base.String())
		cancel()
		if err == nil {
			srv.admin = conn
			return srv, nil
		}
		select {
		case <-srv.exited:
			return nil, fmt.Errorf("postgres exited while starting: %v\n%s", cmd.ProcessState, log.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = srv.stop()
			return nil, fmt.Errorf("postgres did not accept connections within 60s: %v\n%s", err, log.String())
		}
	}
}

// dsn is the connection string of database name on the server.
func (s *server) dsn(name string) string {
	u := *s.base
	u.Path = "/" + name
	return u.String()
}

// exec runs one statement on the admin connection, connecting first if
// needed.
func (s *server) exec(ctx context.Context, sql string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.admin == nil || s.admin.IsClosed() {
		conn, err := pgx.Connect(ctx, s.base.String())
		if err != nil {
			return err
		}
		s.admin = conn
	}
	_, err := s.admin.Exec(ctx, sql)
	return err
}

// stop shuts a server started here down (fast shutdown, then a kill) and
// removes its directory.
func (s *server) stop() error {
	s.mu.Lock()
	if s.admin != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = s.admin.Close(ctx)
		cancel()
		s.admin = nil
	}
	s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		_ = s.cmd.Process.Kill()
	}
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	return os.RemoveAll(s.dir)
}

// sweepStaleDirs removes data directories that earlier runs left behind
// when they were killed: those whose postmaster is gone, once they are a
// few minutes old (a younger one may be another test binary starting).
func sweepStaleDirs() {
	for _, root := range []string{os.TempDir(), "/tmp"} {
		dirs, _ := filepath.Glob(filepath.Join(root, dirPrefix+"*"))
		for _, d := range dirs {
			fi, err := os.Stat(d)
			if err != nil || !fi.IsDir() || time.Since(fi.ModTime()) < 5*time.Minute {
				continue
			}
			if pidAlive(filepath.Join(d, "data", "postmaster.pid")) {
				continue
			}
			_ = os.RemoveAll(d)
		}
	}
}

// tail keeps the last few kilobytes written to it, for error messages.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailMax = 8 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailMax {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailMax:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
