package rest

import (
	"net/http"
	"testing"
	"time"
)

// TestNewNilClientHasTimeout: with no HTTP client, New uses one with
// DefaultTimeout, never http.DefaultClient (which waits forever), and
// leaves http.DefaultClient alone.
func TestNewNilClientHasTimeout(t *testing.T) {
	before := *http.DefaultClient
	c, err := New("https://api.example.com/v1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.hc == http.DefaultClient {
		t.Fatal("nil client fell back to http.DefaultClient")
	}
	if c.hc.Timeout != DefaultTimeout || DefaultTimeout != 30*time.Second {
		t.Fatalf("timeout %v, want %v (30s)", c.hc.Timeout, DefaultTimeout)
	}
	if http.DefaultClient.Timeout != before.Timeout || http.DefaultClient.CheckRedirect != nil {
		t.Fatal("New changed http.DefaultClient")
	}
	// A client given without a timeout keeps none: the caller bounds calls
	// with their context, as the broker helpers document.
	c, err = New("https://api.example.com/v1", &http.Client{})
	if err != nil {
		t.Fatal(err)
	}
	if c.hc.Timeout != 0 {
		t.Fatalf("a given client's timeout changed to %v", c.hc.Timeout)
	}
}
