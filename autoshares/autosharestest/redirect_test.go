package autosharestest_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
)

func TestWithRedirectURL(t *testing.T) {
	login := func(srv *autosharestest.Server) error {
		cfg := srv.Config()
		cfg.RedirectURL = "http://127.0.0.1:4567/callback/autoshares"
		p, err := autoshares.New(cfg)
		require.NoError(t, err)
		_, err = srv.Login(context.Background(), p)
		return err
	}

	plain := autosharestest.NewServer()
	defer plain.Close()
	assert.Error(t, login(plain), "only RedirectURL is registered by default")

	srv := autosharestest.NewServer(autosharestest.WithRedirectURL("http://127.0.0.1/callback/autoshares"))
	defer srv.Close()
	assert.NoError(t, login(srv))
}
