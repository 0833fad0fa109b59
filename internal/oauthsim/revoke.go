package oauthsim

import (
	"net/http"
)

// serveRevoke is RFC 7009 revocation, accepting a form body or (Auth0,
// TradeStation) a JSON body {"client_id","client_secret","token"}. The
// token may also be named refresh_token, as one TradeStation page spells
// it. An unknown token is answered 200, as RFC 7009 §2.2 requires.
func (e *Engine) serveRevoke(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		e.writeError(w, r, oauthErr(EndpointRevoke, http.StatusMethodNotAllowed, "invalid_request",
			ReasonMethodNotAllowed, "revocation takes POST"))
		return
	}
	v, err := readParams(w, r, true)
	if err != nil {
		e.writeError(w, r, oauthErr(EndpointRevoke, http.StatusBadRequest, "invalid_request", ReasonBadRequest, err.Error()))
		return
	}
	defer e.notify()
	c, _, oe := e.authenticateClient(r, v, EndpointRevoke, e.cfg.RevokeSecretOptional)
	if oe != nil {
		e.writeError(w, r, oe)
		return
	}
	tok := v.Get("token")
	if tok == "" {
		tok = v.Get("refresh_token")
	}
	if tok == "" {
		e.writeError(w, r, oauthErr(EndpointRevoke, http.StatusBadRequest, "invalid_request", ReasonBadRequest, "token is missing"))
		return
	}
	if oe := e.revoke(c, tok); oe != nil {
		e.writeError(w, r, oe)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

func (e *Engine) revoke(c *Client, tok string) *Error {
	e.mu.Lock()
	defer e.mu.Unlock()
	wrongClient := oauthErr(EndpointRevoke, http.StatusBadRequest, "unauthorized_client", ReasonWrongClient,
		"the token was not issued to this client")
	if rt, ok := e.refresh[tok]; ok {
		f := e.families[rt.familyID]
		if f == nil {
			return nil
		}
		if f.clientID != c.ID {
			return wrongClient
		}
		if e.cfg.RevokeAllOfClient {
			for id, other := range e.families {
				if other.clientID == c.ID {
					e.revokeFamilyLocked(id)
				}
			}
			return nil
		}
		e.revokeFamilyLocked(f.id)
		return nil
	}
	if a, ok := e.access[tok]; ok {
		if a.grant.ClientID != c.ID {
			return wrongClient
		}
		e.revokeAccessLocked(tok)
	}
	return nil
}
