package origin

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckEndpoint(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080/t", "http://localhost/t", "http://[::1]:9/t", "https://x.example/t"} {
		if err := CheckEndpoint(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"http://127.0.0.1.example.com/t", "http://10.0.0.1/t", "ftp://x/t"} {
		if err := CheckEndpoint(u); !errors.Is(err, ErrInsecure) {
			t.Errorf("%s: got %v, want ErrInsecure", u, err)
		}
	}
	for _, raw := range []string{"/token?api_key=SECRETKEY", "https//broker?client_secret=SECRETKEY",
		"ftp://user:SECRETKEY@host/x?y"} {
		if err := CheckEndpoint(raw); err == nil || strings.Contains(err.Error(), "SECRETKEY") {
			t.Errorf("%s: %v", raw, err)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{"localhost": true, "LocalHost": true, "127.0.0.1": true, "127.8.9.10": true,
		"::1": true, "127.0.0.1.example.com": false, "10.0.0.1": false, "": false, "[::1]": false} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v", host, got)
		}
	}
}
