package auth_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/brokerkit/brokerkit/auth"
)

// TestTypedNilProviderIsAnError: a nil *Standard (or a broker's nil
// *Provider) in the Provider interface is refused with an error by every
// entry point that takes a Provider, never a panic.
func TestTypedNilProviderIsAnError(t *testing.T) {
	var p *auth.Standard
	assert.NotPanics(t, func() {
		_, err := auth.NewSource(p, auth.NewMemoryStore(), "k")
		assert.Error(t, err)
	})
	assert.NotPanics(t, func() {
		_, err := auth.NewManager(p, auth.NewMemoryStore())
		assert.Error(t, err)
	})
	assert.NotPanics(t, func() {
		_, err := auth.Begin(p)
		assert.Error(t, err)
	})
	assert.NotPanics(t, func() {
		f := &auth.Flow{State: "s"}
		_, err := f.Complete(context.Background(), p, nil)
		assert.Error(t, err)
	})
	assert.NotPanics(t, func() {
		_, err := auth.LoginLoopback(context.Background(), p)
		assert.Error(t, err)
	})
}
