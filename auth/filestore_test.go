package auth_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
)

func sampleToken() *auth.Token {
	return &auth.Token{
		AccessToken:   "at-secret-value",
		TokenType:     "Bearer",
		RefreshToken:  "rt-secret-value",
		Expiry:        time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC),
		RefreshExpiry: time.Date(2026, 4, 4, 5, 6, 7, 0, time.UTC),
		Scopes:        []string{"openid", "offline_access"},
		Subject:       "u1",
		Audience:      "https://api.example.com",
		Provider:      "sim",
		Extra:         map[string]json.RawMessage{"id_token": json.RawMessage(`"x.y.z"`), "n": json.RawMessage(`42`)},
	}
}

func TestMemoryStore(t *testing.T) {
	ctx := context.Background()
	var s auth.MemoryStore
	_, err := s.Load(ctx, "k")
	require.ErrorIs(t, err, auth.ErrNoToken)
	tok := sampleToken()
	require.NoError(t, s.Save(ctx, "k", tok))
	tok.Scopes[0] = "changed"
	got, err := s.Load(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, "openid", got.Scopes[0], "the store keeps a copy")
	got.Extra["n"] = json.RawMessage(`0`)
	again, _ := s.Load(ctx, "k")
	assert.Equal(t, `42`, string(again.Extra["n"]), "Load returns a copy")
	require.NoError(t, s.Delete(ctx, "k"))
	require.NoError(t, s.Delete(ctx, "k"))
	_, err = s.Load(ctx, "k")
	require.ErrorIs(t, err, auth.ErrNoToken)
	assert.Error(t, s.Save(ctx, "k", nil))
}

func TestKeyIsInjective(t *testing.T) {
	assert.Equal(t, "tradestation/alice", auth.Key("tradestation", "alice"))
	assert.NotEqual(t, auth.Key("a/b", "c"), auth.Key("a", "b/c"))
	assert.NotEqual(t, auth.Key("a", "b%2Fc"), auth.Key("a", "b/c"))
}

func TestFileStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "tokens")
	s, err := auth.NewFileStore(dir)
	require.NoError(t, err)
	key := auth.Key("sim", "alice")
	_, err = s.Load(ctx, key)
	require.ErrorIs(t, err, auth.ErrNoToken)

	tok := sampleToken()
	require.NoError(t, s.Save(ctx, key, tok))
	got, err := s.Load(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, tok.AccessToken, got.AccessToken)
	assert.Equal(t, tok.RefreshToken, got.RefreshToken)
	assert.True(t, tok.Expiry.Equal(got.Expiry))
	assert.True(t, tok.RefreshExpiry.Equal(got.RefreshExpiry))
	assert.Equal(t, tok.Scopes, got.Scopes)
	assert.Equal(t, tok.Extra, got.Extra)
	assert.Equal(t, tok.Subject, got.Subject)

	if runtime.GOOS != "windows" {
		fi, err := os.Stat(s.Path(key))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		di, err := os.Stat(dir)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), di.Mode().Perm())
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.NotContains(t, e.Name(), ".tmp", "no temporary file left behind")
	}

	require.NoError(t, s.Delete(ctx, key))
	require.NoError(t, s.Delete(ctx, key))
	_, err = s.Load(ctx, key)
	require.ErrorIs(t, err, auth.ErrNoToken)
}

func TestFileStorePathsStayInside(t *testing.T) {
	dir := t.TempDir()
	s, err := auth.NewFileStore(dir)
	require.NoError(t, err)
	seen := map[string]string{}
	for _, k := range []string{"", ".", "..", "../../etc/passwd", "a/b", "a%2Fb", "a_b", "A", "a", "ü", "a.b", "a%2Eb"} {
		p := s.Path(k)
		assert.Equal(t, dir, filepath.Dir(p), "key %q", k)
		assert.False(t, strings.HasPrefix(filepath.Base(p), "."), "key %q gives a hidden file", k)
		if other, dup := seen[p]; dup {
			t.Errorf("keys %q and %q share %s", k, other, p)
		}
		seen[p] = k
	}
}

func TestFileStoreEncryption(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key := bytes.Repeat([]byte{7}, 32)
	s, err := auth.NewFileStore(dir, auth.FileStoreOptions{EncryptionKey: key})
	require.NoError(t, err)
	tok := sampleToken()
	require.NoError(t, s.Save(ctx, "alice", tok))
	raw, err := os.ReadFile(s.Path("alice"))
	require.NoError(t, err)
	assert.NotContains(t, string(raw), tok.AccessToken)
	assert.NotContains(t, string(raw), tok.RefreshToken)
	got, err := s.Load(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, tok.RefreshToken, got.RefreshToken)

	// Another key cannot read it, and must not overwrite it.
	wrong, err := auth.NewFileStore(dir, auth.FileStoreOptions{EncryptionKey: bytes.Repeat([]byte{8}, 32)})
	require.NoError(t, err)
	_, err = wrong.Load(ctx, "alice")
	require.ErrorIs(t, err, auth.ErrStoreCorrupt)
	var se *auth.StoreError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "alice", se.Key)
	err = wrong.Save(ctx, "alice", &auth.Token{AccessToken: "other"})
	require.ErrorIs(t, err, auth.ErrStoreCorrupt)
	after, err := os.ReadFile(s.Path("alice"))
	require.NoError(t, err)
	assert.Equal(t, raw, after, "an unreadable file is never overwritten")

	// Nor can a store without a key, nor can the file pass as another key's.
	plain, err := auth.NewFileStore(dir)
	require.NoError(t, err)
	_, err = plain.Load(ctx, "alice")
	require.ErrorIs(t, err, auth.ErrStoreCorrupt)
	require.NoError(t, os.WriteFile(s.Path("bob"), raw, 0o600))
	_, err = s.Load(ctx, "bob")
	require.ErrorIs(t, err, auth.ErrStoreCorrupt, "ciphertext is bound to its key")

	// An encrypting store refuses a plaintext file.
	require.NoError(t, plain.Save(ctx, "carol", tok))
	_, err = s.Load(ctx, "carol")
	require.ErrorIs(t, err, auth.ErrStoreCorrupt)

	// Tampering is detected.
	raw[len(raw)-1] ^= 1
	require.NoError(t, os.WriteFile(s.Path("alice"), raw, 0o600))
	_, err = s.Load(ctx, "alice")
	require.ErrorIs(t, err, auth.ErrStoreCorrupt)

	_, err = auth.NewFileStore(dir, auth.FileStoreOptions{EncryptionKey: []byte("short")})
	require.Error(t, err)
	_, err = auth.NewFileStore(dir, auth.FileStoreOptions{EncryptionKey: []byte{}}) // asked for, but empty
	require.Error(t, err)
}

func TestFileStoreCorruptFile(t *testing.T) {
	ctx := context.Background()
	s, err := auth.NewFileStore(t.TempDir())
	require.NoError(t, err)
	for name, content := range map[string]string{
		"empty":      "",
		"torn":       `{"access_token":"at-secret-value","refresh_tok`,
		"not token":  `{"foo":"bar"}`,
		"array":      `["at-secret-value"]`,
		"wrong type": `{"access_token":12}`,
	} {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, os.WriteFile(s.Path("k"), []byte(content), 0o600))
			_, err := s.Load(ctx, "k")
			require.ErrorIs(t, err, auth.ErrStoreCorrupt)
			assert.NotContains(t, err.Error(), "secret-value", "errors never quote the file")
			err = s.Save(ctx, "k", sampleToken())
			require.ErrorIs(t, err, auth.ErrStoreCorrupt)
			b, _ := os.ReadFile(s.Path("k"))
			assert.Equal(t, content, string(b))
			require.NoError(t, s.Delete(ctx, "k"))
			require.NoError(t, s.Save(ctx, "k", sampleToken()), "after an explicit Delete a Save works")
		})
	}
}

func TestFileStoreLock(t *testing.T) {
	s, err := auth.NewFileStore(t.TempDir())
	require.NoError(t, err)
	var l auth.Locker = s
	var inside atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				unlock, err := l.Lock(context.Background(), "k")
				if !assert.NoError(t, err) {
					return
				}
				assert.EqualValues(t, 1, inside.Add(1), "two holders at once")
				time.Sleep(time.Millisecond)
				inside.Add(-1)
				unlock()
			}
		}()
	}
	wg.Wait()

	unlock, err := l.Lock(context.Background(), "k")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err = l.Lock(ctx, "k")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	other, err := l.Lock(context.Background(), "other-key")
	require.NoError(t, err, "locks are per key")
	other()
	unlock()
}

// childEnv marks a re-executed test binary and says what it is to do.
const childEnv = "BROKERKIT_AUTH_TEST_CHILD"

func runChild(t *testing.T, test, role string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1", "-test.v=false")
	cmd.Env = append(append(os.Environ(), childEnv+"="+role), env...)
	return cmd
}

// padFor makes token seq's filler, so that a torn file cannot pass as a
// whole token.
func padFor(seq int) json.RawMessage {
	return json.RawMessage(strconv.Quote(strings.Repeat(string(rune('a'+seq%26)), 256<<10)))
}

func TestFileStoreSurvivesKilledWriter(t *testing.T) {
	if os.Getenv(childEnv) == "writer" {
		s, err := auth.NewFileStore(os.Getenv("STORE_DIR"))
		require.NoError(t, err)
		start, _ := strconv.Atoi(os.Getenv("START_SEQ"))
		for seq := start + 1; ; seq++ {
			tok := &auth.Token{AccessToken: fmt.Sprintf("at-%d", seq), RefreshToken: "rt",
				Extra: map[string]json.RawMessage{"pad": padFor(seq)}}
			t0 := time.Now()
			require.NoError(t, s.Save(context.Background(), "k", tok))
			fmt.Printf("saved %d\n", time.Since(t0))
		}
	}
	dir := t.TempDir()
	s, err := auth.NewFileStore(dir)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, s.Save(ctx, "k", &auth.Token{AccessToken: "at-0", RefreshToken: "rt",
		Extra: map[string]json.RawMessage{"pad": padFor(0)}}))

	last, progressed := 0, 0
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; i < 30 && time.Now().Before(deadline); i++ {
		cmd := runChild(t, "TestFileStoreSurvivesKilledWriter", "writer",
			"STORE_DIR="+dir, "START_SEQ="+strconv.Itoa(last))
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		// Once it has saved a token, kill it at a random moment of the
		// next Save.
		line, err := bufio.NewReader(stdout).ReadString('\n')
		require.NoError(t, err)
		took, err := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(line, "saved ")), 10, 64)
		require.NoError(t, err, "child said %q", line)
		time.Sleep(time.Duration(rand.Int64N(took + 1)))
		require.NoError(t, cmd.Process.Kill())
		_ = cmd.Wait()

		tok, err := s.Load(ctx, "k")
		require.NoError(t, err, "iteration %d: the file must hold a whole token", i)
		seq, err := strconv.Atoi(strings.TrimPrefix(tok.AccessToken, "at-"))
		require.NoError(t, err)
		require.Equal(t, string(padFor(seq)), string(tok.Extra["pad"]), "iteration %d: token %d is torn", i, seq)
		require.GreaterOrEqual(t, seq, last)
		if seq > last {
			progressed++
		}
		last = seq
	}
	require.Positive(t, progressed, "the writers never got to write: the test proved nothing")
	temps, _ := filepath.Glob(filepath.Join(dir, ".*.tmp*"))
	t.Logf("%d kills with progress, last token %d, %d temporary files left by killed writers", progressed, last, len(temps))
}

func TestFileStoreZeroOptions(t *testing.T) {
	s, err := auth.NewFileStore(t.TempDir(), auth.FileStoreOptions{})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, s.Save(ctx, "k", &auth.Token{AccessToken: "a"}))
	got, err := s.Load(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, "a", got.AccessToken)
}

// A temporary file left by a killed writer is removed by the next
// NewFileStore once it is old enough; a recent one may be a live writer's.
func TestFileStoreRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, ".k.token.tmp123")
	recent := filepath.Join(dir, ".k.token.tmp456")
	other := filepath.Join(dir, ".notes.tmp1")
	for _, p := range []string{stale, recent, other} {
		require.NoError(t, os.WriteFile(p, []byte("{"), 0o600))
	}
	old := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(stale, old, old))
	require.NoError(t, os.Chtimes(other, old, old))
	_, err := auth.NewFileStore(dir)
	require.NoError(t, err)
	assert.NoFileExists(t, stale)
	assert.FileExists(t, recent)
	assert.FileExists(t, other, "only the store's own temporary files are touched")
}
