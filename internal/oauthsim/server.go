package oauthsim

import (
	"net/http/httptest"

	"github.com/brokerkit/brokerkit/auth"
)

// Server is an Engine alone on an httptest server on 127.0.0.1, for tests
// of the engine and of generic OAuth code. Broker emulators mount an Engine
// on their own server instead.
type Server struct {
	*httptest.Server
	// Engine is the authorization server being served.
	Engine *Engine
}

// NewServer starts an engine for cfg. Close the server when done.
func NewServer(cfg Config) (*Server, error) {
	e, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return &Server{Server: httptest.NewServer(e), Engine: e}, nil
}

// Endpoint returns the server's endpoint URLs.
func (s *Server) Endpoint() auth.Endpoint { return s.Engine.Endpoint(s.URL) }

// Browser returns a browser that logs in to this server as username.
func (s *Server) Browser(username, password string) *Browser {
	return NewBrowser(s.Client(), username, password)
}
