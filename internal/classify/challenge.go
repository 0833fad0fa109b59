package classify

import (
	"net/http"
	"strings"
)

// InvalidToken reports whether resp is a 401 whose
// WWW-Authenticate header carries a Bearer challenge with
// error="invalid_token" (RFC 6750 §3.1).
func InvalidToken(resp *http.Response) bool {
	if resp.StatusCode != http.StatusUnauthorized {
		return false
	}
	c, ok := Bearer(resp.Header)
	return ok && strings.EqualFold(c.Params["error"], "invalid_token")
}

// Challenge is one challenge of a WWW-Authenticate header (RFC 9110 §11.6.1).
type Challenge struct {
	// Scheme is the authentication scheme as sent ("Bearer").
	Scheme string
	// Params are the auth-params, names lower-cased.
	Params map[string]string
}

// maxChallengeLen bounds the WWW-Authenticate text parsed.
const maxChallengeLen = 8 << 10

// Challenges reads every challenge of every WWW-Authenticate field in
// h. Malformed text ends the parse; what was read before it is returned.
func Challenges(h http.Header) []Challenge {
	var out []Challenge
	for _, v := range h.Values("Www-Authenticate") {
		if len(v) > maxChallengeLen {
			v = v[:maxChallengeLen]
		}
		out = append(out, parseChallenges(v)...)
	}
	return out
}

// Bearer returns the first Bearer challenge in h.
func Bearer(h http.Header) (Challenge, bool) {
	for _, c := range Challenges(h) {
		if strings.EqualFold(c.Scheme, "Bearer") {
			return c, true
		}
	}
	return Challenge{}, false
}

type challengeParser struct {
	s string
	i int
}

func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func (p *challengeParser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *challengeParser) token() string {
	start := p.i
	for p.i < len(p.s) && isTokenChar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// token68 reads a token68 (RFC 9110 §11.2): token characters plus '/',
// then trailing '='.
func (p *challengeParser) token68() string {
	start := p.i
	for p.i < len(p.s) && (isTokenChar(p.s[p.i]) || p.s[p.i] == '/') {
		p.i++
	}
	for p.i < len(p.s) && p.s[p.i] == '=' {
		p.i++
	}
	return p.s[start:p.i]
}

func (p *challengeParser) quoted() (string, bool) {
	// p.s[p.i] == '"'
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch c {
		case '"':
			p.i++
			return b.String(), true
		case '\\':
			if p.i+1 >= len(p.s) {
				return "", false
			}
			b.WriteByte(p.s[p.i+1])
			p.i += 2
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", false
}

func parseChallenges(s string) []Challenge {
	p := &challengeParser{s: s}
	var out []Challenge
	for {
		for p.skipSpace(); p.i < len(p.s) && p.s[p.i] == ','; p.skipSpace() {
			p.i++
		}
		if p.i >= len(p.s) {
			return out
		}
		scheme := p.token()
		if scheme == "" {
			return out
		}
		c := Challenge{Scheme: scheme, Params: map[string]string{}}
		out = append(out, c)
		if !p.params(&c) {
			return out
		}
	}
}

// params reads the auth-params (or token68) after a scheme. It returns
// false when the text is malformed and parsing must stop.
func (p *challengeParser) params(c *Challenge) bool {
	// token68 credentials stand alone after the scheme.
	p.skipSpace()
	start := p.i
	if t := p.token68(); t != "" {
		end := p.i
		p.skipSpace()
		if p.i >= len(p.s) || p.s[p.i] == ',' {
			c.Params[""] = p.s[start:end]
			return true
		}
	}
	p.i = start
	for {
		p.skipSpace()
		if p.i >= len(p.s) {
			return true
		}
		if p.s[p.i] == ',' {
			p.i++
			continue
		}
		start := p.i
		name := p.token()
		p.skipSpace()
		if name == "" || p.i >= len(p.s) || p.s[p.i] != '=' {
			// The next challenge's scheme, or garbage.
			p.i = start
			return name != ""
		}
		p.i++ // '='
		p.skipSpace()
		var val string
		if p.i < len(p.s) && p.s[p.i] == '"' {
			v, ok := p.quoted()
			if !ok {
				return false
			}
			val = v
		} else {
			val = p.token()
		}
		key := strings.ToLower(name)
		if _, dup := c.Params[key]; !dup {
			c.Params[key] = val
		}
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] != ',' {
			return false
		}
	}
}
