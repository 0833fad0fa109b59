package origin

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSame(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"https://api.example.com/v3/x", "https://api.example.com/other?q=1", true},
		{"https://api.example.com/", "https://API.example.com:443/", true},
		{"http://127.0.0.1/", "http://127.0.0.1:80/", true},
		{"https://u:p@api.example.com/", "https://api.example.com/", true},
		{"https://[::1]:8443/", "https://[::1]:8443/x", true},
		{"https://api.example.com/", "http://api.example.com/", false},
		{"https://api.example.com/", "https://api.example.com:8443/", false},
		{"https://api.example.com/", "https://evil.example.com/", false},
		{"https://example.com/", "https://api.example.com/", false},
		{"https://127.0.0.1/", "https://localhost/", false},
		{"/relative", "/relative", false},
	} {
		a, _ := url.Parse(c.a)
		b, _ := url.Parse(c.b)
		if got := Same(a, b); got != c.same {
			t.Errorf("Same(%s, %s) = %v, want %v", c.a, c.b, got, c.same)
		}
	}
	if Same(nil, nil) {
		t.Error("nil URLs share an origin")
	}
	u, _ := url.Parse("https://user:pw@API.example.com/p?q=secret#f")
	if got := Of(u); got != "https://api.example.com:443" {
		t.Errorf("Of = %q", got)
	}
}

func TestFirst(t *testing.T) {
	u1, _ := url.Parse("https://a.example/1")
	u2, _ := url.Parse("https://a.example/2")
	u3, _ := url.Parse("https://b.example/3")
	r1 := &http.Request{URL: u1}
	r2 := &http.Request{URL: u2, Response: &http.Response{Request: r1}}
	r3 := &http.Request{URL: u3, Response: &http.Response{Request: r2}}
	if First(r1) != r1 || First(r3) != r1 {
		t.Fatal("First did not find the chain's first request")
	}
	broken := &http.Request{URL: u3, Response: &http.Response{}}
	if First(broken) != nil {
		t.Fatal("a broken chain must give nil")
	}
	loop := &http.Request{URL: u1}
	loop.Response = &http.Response{Request: loop}
	if First(loop) != nil {
		t.Fatal("a looping chain must give nil")
	}
}

func TestEqualHostFoldsASCIIOnly(t *testing.T) {
	assert.True(t, EqualHost("LocalHost", "localhost"))
	assert.True(t, EqualHost("127.0.0.1", "127.0.0.1"))
	assert.False(t, EqualHost("localhoſt", "localhost"), "long s folds to s only in Unicode")
	assert.False(t, EqualHost("\u212Aey.example", "key.example"), "the Kelvin sign folds to k only in Unicode")
	assert.False(t, EqualHost("localhost.", "localhost"))
	u1, _ := url.Parse("https://\u212Aey.example/")
	u2, _ := url.Parse("https://key.example/")
	if u1 != nil && u2 != nil {
		assert.False(t, Same(u1, u2), "a host that folds to another only in Unicode is another origin")
	}
}
