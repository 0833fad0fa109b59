package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// Modes of FuzzFileStoreLoad: which store reads the bytes, and how they
// reach its file.
const (
	fuzzPlain       = iota // a store without a key reads the bytes as they are
	fuzzEncRaw             // a store with a key reads the bytes as they are
	fuzzEncSealed          // a store with a key reads the bytes sealed for the key
	fuzzEncOtherKey        // ... sealed for another store key: never accepted
	fuzzModes
)

// FuzzFileStoreLoad writes arbitrary bytes into a token file and loads it,
// with and without an encryption key (and, with one, also sealed properly,
// so that the JSON decoding behind the decryption is reached). Load must
// not panic; it returns either a token holding an access or a refresh token
// or an error matching ErrStoreCorrupt whose text has no control character
// and does not quote the file's tokens. A loaded token, saved and loaded
// again, comes back unchanged.
func FuzzFileStoreLoad(f *testing.F) {
	for _, s := range []string{
		`{"access_token":"at-1","token_type":"Bearer","refresh_token":"rt-1","expiry":"2026-11-22T12:00:00.123456789+05:30","scopes":["a","b"],"provider":"p","extra":{"n":1e400,"s":"<&>","o":{ "k" : [ 1 , 2 ] }}}`,
		`{"refresh_token":"rt","scopes":[],"extra":{},"expiry":null,"refresh_expiry":"0000-01-01T00:00:00+00:01","subject":"u","audience":"api"}`,
		`{"access_token":"x","expiry":"10000-01-01T00:00:00Z"}`,
		`{"access_token":7}`, `{"access_token":"at","extra":[]}`, `{}`, `null`, `[]`, ``, `{`,
		"\xef\xbb\xbf{\"access_token\":\"at\"}",
	} {
		for mode := range fuzzModes {
			f.Add([]byte(s), uint8(mode))
		}
	}
	f.Add(append(bytes.Clone(encMagic), make([]byte, 27)...), uint8(fuzzEncRaw))
	f.Add(append(bytes.Clone(encMagic), make([]byte, 28)...), uint8(fuzzEncRaw))
	f.Add(append(bytes.Clone(encMagic), `{"access_token":"at"}`...), uint8(fuzzPlain))

	const key = "broker/user 1"
	ctx := context.Background()
	dir := f.TempDir()
	plain, err := NewFileStore(dir + "/plain")
	if err != nil {
		f.Fatal(err)
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	enc, err := NewFileStore(dir+"/enc", FileStoreOptions{EncryptionKey: secret})
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		mode %= fuzzModes
		s := enc
		if mode == fuzzPlain {
			s = plain
		}
		file := data
		switch mode {
		case fuzzEncSealed:
			file = sealForTest(s, key, data)
		case fuzzEncOtherKey:
			file = sealForTest(s, key+"x", data)
		}
		if err := os.WriteFile(s.Path(key), file, 0o600); err != nil {
			t.Fatal(err)
		}

		tok, err := s.Load(ctx, key)
		if err != nil {
			checkStoreError(t, err, data)
			return
		}
		switch {
		case mode == fuzzEncOtherKey:
			t.Fatalf("a file sealed for another key was loaded")
		case mode == fuzzEncRaw:
			t.Fatalf("unsealed bytes were accepted by an encrypting store")
		case tok == nil || tok.AccessToken == "" && tok.RefreshToken == "":
			t.Fatalf("loaded a token without access or refresh token from %q", data)
		}

		// The token holds what the file says (the persisted names).
		var want struct {
			AccessToken  string   `json:"access_token"`
			TokenType    string   `json:"token_type"`
			RefreshToken string   `json:"refresh_token"`
			Scopes       []string `json:"scopes"`
			Subject      string   `json:"subject"`
			Audience     string   `json:"audience"`
			Provider     string   `json:"provider"`
		}
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("loaded a token from a file that is no token object: %v", err)
		}
		if got := (Token{AccessToken: tok.AccessToken, TokenType: tok.TokenType, RefreshToken: tok.RefreshToken, Scopes: tok.Scopes,
			Subject: tok.Subject, Audience: tok.Audience, Provider: tok.Provider}); tokenDiff(&got, &Token{
			AccessToken: want.AccessToken, TokenType: want.TokenType, RefreshToken: want.RefreshToken, Scopes: want.Scopes,
			Subject: want.Subject, Audience: want.Audience, Provider: want.Provider}) != "" {
			t.Fatalf("loaded %+v from a file saying %+v", got, want)
		}

		if err := s.Save(ctx, key, tok); err != nil {
			t.Fatalf("a loaded token does not save: %v", err)
		}
		saved, err := readCapped(key, s.Path(key))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(saved, encMagic) != (s == enc) {
			t.Fatalf("saved file: encrypted %v, store encrypts %v", bytes.HasPrefix(saved, encMagic), s == enc)
		}
		again, err := s.Load(ctx, key)
		if err != nil {
			t.Fatalf("a saved token does not load: %v", err)
		}
		if d := tokenDiff(tok, again); d != "" {
			t.Fatalf("round trip changed %s (file %q)", d, data)
		}
	})
}

// sealForTest seals plain for key the way FileStore.Save seals a token.
func sealForTest(s *FileStore, key string, plain []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	out := append(bytes.Clone(encMagic), nonce...)
	return s.aead.Seal(out, nonce, plain, []byte(key))
}

// checkStoreError checks a refused file's error: ErrStoreCorrupt, no
// control character, and no token value the file held.
func checkStoreError(t *testing.T, err error, data []byte) {
	t.Helper()
	var se *StoreError
	if !errors.Is(err, ErrStoreCorrupt) || !errors.As(err, &se) {
		t.Fatalf("error %v (%T) does not match ErrStoreCorrupt", err, err)
	}
	msg := err.Error()
	if i := strings.IndexFunc(msg, unicode.IsControl); i >= 0 {
		t.Fatalf("control character in error %q", msg)
	}
	var secrets struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	_ = json.Unmarshal(data, &secrets)
	for _, v := range []string{secrets.AccessToken, secrets.RefreshToken} {
		if len(v) >= 4 && strings.Contains(msg, v) {
			t.Fatalf("error %q quotes a token of the file", msg)
		}
	}
}

// tokenDiff names the first field in which a and b differ, comparing what
// a JSON round trip must keep: times as instants, nil and empty lists and
// maps alike, Extra values as JSON values rather than bytes (encoding/json
// compacts and escapes raw values it writes).
func tokenDiff(a, b *Token) string {
	switch {
	case a.AccessToken != b.AccessToken:
		return "AccessToken"
	case a.TokenType != b.TokenType:
		return "TokenType"
	case a.RefreshToken != b.RefreshToken:
		return "RefreshToken"
	case !a.Expiry.Equal(b.Expiry):
		return "Expiry"
	case !a.RefreshExpiry.Equal(b.RefreshExpiry):
		return "RefreshExpiry"
	case !slices.Equal(a.Scopes, b.Scopes):
		return "Scopes"
	case a.Subject != b.Subject:
		return "Subject"
	case a.Audience != b.Audience:
		return "Audience"
	case a.Provider != b.Provider:
		return "Provider"
	case len(a.Extra) != len(b.Extra):
		return "Extra"
	}
	for k, va := range a.Extra {
		vb, ok := b.Extra[k]
		if !ok || !sameJSON(va, vb) {
			return "Extra[" + k + "]"
		}
	}
	return ""
}

func sameJSON(a, b []byte) bool {
	decode := func(raw []byte) (any, error) {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		var v any
		err := d.Decode(&v)
		return v, err
	}
	va, errA := decode(a)
	vb, errB := decode(b)
	return errA == nil && errB == nil && reflect.DeepEqual(va, vb)
}
