package emulate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/providers"
)

// binDir holds the brokerkit binary the command tests build.
var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildCommand builds cmd/brokerkit once per test binary.
var buildCommand = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "brokerkit-emulate-test")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "brokerkit")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/brokerkit/brokerkit/cmd/brokerkit").CombinedOutput()
	if err != nil {
		return "", errors.New("go build: " + err.Error() + "\n" + string(out))
	}
	return bin, nil
})

func brokerkitBinary(t *testing.T) string {
	t.Helper()
	bin, err := buildCommand()
	require.NoError(t, err)
	return bin
}

// userEnv is an environment whose configuration directory is home's.
func userEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") &&
			!strings.HasPrefix(kv, providers.EnvPrefix) {
			env = append(env, kv)
		}
	}
	return append(env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
}

// emulateProcess is `brokerkit emulate` running in the background.
type emulateProcess struct {
	cmd    *exec.Cmd
	stdout []string // what it printed at start
	infos  []Info   // its JSON lines
	done   chan error

	mu     sync.Mutex
	stderr bytes.Buffer
}

func (p *emulateProcess) errText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// runEmulateCommand starts `brokerkit emulate args…` with home as the
// user's home and returns once it serves, with what it printed.
func runEmulateCommand(t *testing.T, home string, args ...string) *emulateProcess {
	t.Helper()
	cmd := exec.Command(brokerkitBinary(t), append([]string{"emulate"}, args...)...)
	cmd.Env = userEnv(home)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &emulateProcess{cmd: cmd, done: make(chan error, 1)}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	lines := make(chan string, 1024)
	stdoutDone := make(chan struct{})
	go func() {
		defer close(stdoutDone)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	serving := make(chan struct{})
	go func() {
		once := sync.Once{}
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if strings.Contains(sc.Text(), "Ctrl-C stops") {
				once.Do(func() { close(serving) })
			}
		}
		<-stdoutDone // Wait closes the pipes: read them out first
		once.Do(func() { close(serving) })
		p.done <- cmd.Wait()
	}()
	select {
	case <-serving:
	case <-time.After(60 * time.Second):
		t.Fatalf("brokerkit emulate did not start in 60 s; stderr: %s", p.errText())
	}
	// Everything on stdout was written before the stderr line; take it
	// until the pipe is quiet.
	for quiet := false; !quiet; {
		select {
		case l := <-lines:
			p.stdout = append(p.stdout, l)
		case <-time.After(300 * time.Millisecond):
			quiet = true
		}
	}
	for _, l := range p.stdout {
		if strings.HasPrefix(l, "{") {
			var i Info
			require.NoError(t, json.Unmarshal([]byte(l), &i), l)
			p.infos = append(p.infos, i)
		}
	}
	return p
}

// stop sends sig and returns the exit code.
func (p *emulateProcess) stop(t *testing.T, sig os.Signal) int {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(sig))
	select {
	case err := <-p.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		require.NoError(t, err)
		return 0
	case <-time.After(20 * time.Second):
		t.Fatal("brokerkit emulate did not stop in 20 s")
		return -1
	}
}

// runScript runs a README snippet from testdata against the emulator.
func runScript(t *testing.T, home, adminURL string, name ...string) string {
	t.Helper()
	cmd := exec.Command(name[0], name[1:]...)
	cmd.Env = append(userEnv(home), "BROKERKIT_EMULATE_ADMIN="+adminURL)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Run(), "%v: %s", name, errb.String())
	return out.String()
}

func TestCommandServesUntilSIGINT(t *testing.T) {
	home := t.TempDir()
	p := runEmulateCommand(t, home, "tradestation", "--addr", "127.0.0.1:0", "just2trade")
	require.Len(t, p.infos, 2, "stdout: %q", p.stdout)
	assert.Equal(t, "tradestation", p.infos[0].Broker)
	assert.Equal(t, "just2trade", p.infos[1].Broker)
	assert.Contains(t, p.errText(), "local test credentials")

	// Each JSON line is followed by its broker's environment lines.
	var env []string
	for _, l := range p.stdout {
		if strings.HasPrefix(l, providers.EnvPrefix) {
			env = append(env, l)
		}
	}
	assert.Equal(t, append(p.infos[0].Env(), p.infos[1].Env()...), env)

	// Another brokerkit command finds it through the announcement.
	dir := filepath.Join(home, ".config", "brokerkit")
	infos, err := ReadAnnouncement(dir)
	require.NoError(t, err)
	assert.Equal(t, p.infos[0], infos["tradestation"])
	st, err := os.Stat(filepath.Join(dir, AnnouncementFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	// Used as announced: a login by hand, an API call, the admin API.
	ts := p.infos[0]
	tok := rawLogin(t, ts)
	assert.Equal(t, 200, apiStatus(t, ts, tok.Access))
	status, _ := admin(t, "POST", ts.AdminURL+"/invalidate", `{"user":"trader"}`)
	require.Equal(t, 200, status)
	assert.Equal(t, 401, apiStatus(t, ts, tok.Access))

	// The README's snippets, as they are written.
	adminBase := strings.TrimSuffix(ts.AdminURL, "/tradestation")
	out := runScript(t, home, adminBase, "sh", filepath.Join("testdata", "login.sh"))
	assert.Contains(t, out, `"AccountID":"11827461"`)
	if node, err := exec.LookPath("node"); err == nil {
		out := runScript(t, home, adminBase, node, filepath.Join("testdata", "login.mjs"))
		assert.Contains(t, out, "11827461 Cash USD")
	} else {
		t.Log("node is not installed: testdata/login.mjs not run")
	}

	assert.Equal(t, 0, p.stop(t, os.Interrupt), "stderr: %s", p.errText())
	_, err = os.Stat(filepath.Join(dir, AnnouncementFile))
	assert.True(t, errors.Is(err, os.ErrNotExist), "the announcement outlived the command: %v", err)
	_, err = ReadAnnouncement(dir)
	assert.ErrorIs(t, err, ErrNotRunning)
	assert.Contains(t, p.errText(), "stopped")
}

func TestCommandOutputModesAndSIGTERM(t *testing.T) {
	home := t.TempDir()
	p := runEmulateCommand(t, home, "--json", "--addr=127.0.0.1:0", "autoshares")
	require.Len(t, p.infos, 1)
	assert.Len(t, p.stdout, 1, "--json prints only the JSON line")
	assert.Equal(t, 0, p.stop(t, syscall.SIGTERM))

	p = runEmulateCommand(t, home, "spotware", "--env", "--addr", "127.0.0.1:0")
	assert.Empty(t, p.infos)
	require.NotEmpty(t, p.stdout)
	for _, l := range p.stdout {
		assert.True(t, strings.HasPrefix(l, "BROKERKIT_SPOTWARE_"), l)
	}
	assert.Equal(t, 0, p.stop(t, syscall.SIGTERM))
}

func TestCommandHelpAndUsageErrors(t *testing.T) {
	bin := brokerkitBinary(t)
	home := t.TempDir()
	run := func(args ...string) (int, string, string) {
		cmd := exec.Command(bin, append([]string{"emulate"}, args...)...)
		cmd.Env = userEnv(home)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), out.String(), errb.String()
		}
		require.NoError(t, err)
		return 0, out.String(), errb.String()
	}
	for _, h := range [][]string{{"-h"}, {"--help"}, {"help"}} {
		code, out, _ := run(h...)
		assert.Equal(t, 0, code, h)
		for _, want := range []string{"Usage: brokerkit emulate", "clock/advance", "invalidate", "faults", "reset",
			"auto-approve", "--public", "9401 tradestation"} {
			assert.Contains(t, out, want, h)
		}
	}
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"robinhood", "--addr", "127.0.0.1:0"}, "robinhood"},
		{[]string{"--addr", "0.0.0.0:0"}, "--public"},
		{[]string{"--addr", "nowhere"}, "host:port"},
		{[]string{"--json", "--env"}, "exclude"},
		{[]string{"--frobnicate"}, "frobnicate"},
		{[]string{"--addr", "127.0.0.1:0", "--addr", "127.0.0.1:1"}, "twice"},
	} {
		code, out, errText := run(c.args...)
		assert.Equal(t, 2, code, c.args)
		assert.Empty(t, out, c.args)
		assert.Contains(t, errText, c.says, c.args)
	}
	_, err := os.Stat(filepath.Join(home, ".config", "brokerkit", AnnouncementFile))
	assert.True(t, errors.Is(err, os.ErrNotExist), "a refused start announced itself")
}

func TestCommandSecondSignalStopsAtOnce(t *testing.T) {
	home := t.TempDir()
	p := runEmulateCommand(t, home, "just2trade", "--addr", "127.0.0.1:0", "--json")
	require.Len(t, p.infos, 1)
	j := p.infos[0]
	// A request held by a long delay keeps the server's Close waiting.
	status, _ := admin(t, "POST", j.AdminURL+"/faults", `{"delay":"5m","times":1}`)
	require.Equal(t, 200, status)
	held := make(chan struct{})
	go func() {
		defer close(held)
		resp, err := http.PostForm(j.TokenURL, nil)
		if err == nil {
			resp.Body.Close()
		}
	}()
	// The rule is used up once the request is in the handler.
	require.Eventually(t, func() bool {
		_, out := admin(t, "GET", j.AdminURL+"/faults", "")
		return out["pending"] == float64(0)
	}, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, p.cmd.Process.Signal(os.Interrupt))
	file := filepath.Join(home, ".config", "brokerkit", AnnouncementFile)
	require.Eventually(t, func() bool {
		_, err := os.Stat(file)
		return errors.Is(err, os.ErrNotExist)
	}, 5*time.Second, 20*time.Millisecond, "the announcement stays while Close waits")
	select {
	case err := <-p.done:
		t.Fatalf("the command stopped with a request held: %v; stderr: %s", err, p.errText())
	case <-time.After(300 * time.Millisecond):
	}
	assert.Equal(t, 1, p.stop(t, os.Interrupt), "stderr: %s", p.errText())
	assert.Contains(t, p.errText(), "before every request finished")
	<-held
}
