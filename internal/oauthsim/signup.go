package oauthsim

import (
	"html/template"
	"net/http"
	"net/mail"
	"strings"
)

var signupTmpl = template.Must(template.New("signup").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign up to {{.Server}}</title></head>
<body>
<h1>Sign up to {{.Server}}</h1>
<p>Create an account for <strong>{{.Client}}</strong>{{if .Scopes}}, which asks for <code>{{.Scopes}}</code>{{end}}.</p>
{{if .Message}}<p role="alert">{{.Message}}</p>{{end}}
<form method="post" action="{{.Action}}" id="oauthsim-signup">
<p><label>Email <input name="email" type="email" autocomplete="email" required></label></p>
<p><label>Name <input name="name" autocomplete="name" required></label></p>
<p><label>Password <input name="password" type="password" autocomplete="new-password" required></label></p>
<p><button name="decision" value="signup" type="submit">Sign up</button>
<button name="decision" value="deny" type="submit">Cancel</button></p>
</form>
</body></html>
`))

// signupPage renders the registration form. Like the consent page it
// posts back to the authorization URL, which is checked again on submit.
func (e *Engine) signupPage(w http.ResponseWriter, r *http.Request, ar *authzRequest, status int, msg string) {
	data := struct {
		Server, Client, Scopes, Message, Action string
	}{e.cfg.Name, ar.client.ID, strings.Join(ar.scopes, " "), msg, r.URL.RequestURI()}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_ = signupTmpl.Execute(w, data)
}

// register creates the user a submitted sign-up form describes and
// approves the authorization request as them.
func (e *Engine) register(w http.ResponseWriter, r *http.Request, ar *authzRequest) {
	email := strings.TrimSpace(r.PostForm.Get("email"))
	name := strings.TrimSpace(r.PostForm.Get("name"))
	password := r.PostForm.Get("password")
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		e.signupPage(w, r, ar, http.StatusBadRequest, "Enter a valid email address.")
		return
	}
	if name == "" || len(password) < 8 {
		e.signupPage(w, r, ar, http.StatusBadRequest, "Enter your name and a password of at least 8 characters.")
		return
	}
	e.mu.Lock()
	_, taken := e.byUsername[email]
	e.mu.Unlock()
	if taken {
		e.signupPage(w, r, ar, http.StatusConflict, "An account with this email exists: sign in instead.")
		return
	}
	u, err := e.cfg.Signup(User{Username: email, Password: password, Name: name,
		Claims: map[string]any{"email": email, "email_verified": false}})
	if err != nil {
		e.signupPage(w, r, ar, http.StatusConflict, "The account could not be created: "+err.Error())
		return
	}
	if err := e.AddUser(u); err != nil {
		e.signupPage(w, r, ar, http.StatusConflict, "The account could not be created.")
		return
	}
	e.mu.Lock()
	added := e.byUsername[u.Username]
	e.mu.Unlock()
	e.approve(w, r, ar, added)
}
