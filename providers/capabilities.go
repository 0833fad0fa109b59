package providers

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/brokerkit/brokerkit/auth"
)

// Support says whether a broker offers a feature.
type Support int

const (
	// No means the broker does not offer the feature.
	No Support = iota
	// Yes means every application gets the feature.
	Yes
	// OptIn means the broker enables the feature for an application on
	// request, and the broker package has a configuration switch for it.
	OptIn
)

// String names the value for humans.
func (s Support) String() string {
	switch s {
	case Yes:
		return "yes"
	case OptIn:
		return "opt-in"
	}
	return "no"
}

// Row is one broker's line of the capability table.
type Row struct {
	// Broker is the registry name.
	Broker string
	// PKCE: RFC 7636 S256 challenges are accepted.
	PKCE Support
	// Refresh: a refresh_token grant exists.
	Refresh Support
	// Rotation: every refresh returns a new refresh token.
	Rotation Support
	// ClientCredentials: an application-only token can be had.
	ClientCredentials Support
	// Revoke: tokens can be revoked.
	Revoke Support
	// SlidingExpiry: each API call prolongs the access token.
	SlidingExpiry Support
	// Environments lists the deployments Config.Environment accepts.
	Environments []auth.Environment
	// Note says the one thing to know about the broker's login.
	Note string
}

// table returns the capability table of r, one row per broker in Names
// order. TestCapabilityTable holds each builtin row to the provider's own
// Capabilities(), so the two cannot drift apart.
func (r *Registry) table() []Row {
	out := make([]Row, len(r.brokers))
	for i, b := range r.brokers {
		out[i] = b.Row
		out[i].Environments = slices.Clone(b.Row.Environments)
	}
	return out
}

// WriteTable prints r's capability table as aligned text.
func (r *Registry) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "BROKER\tPKCE\tREFRESH\tROTATION\tCLIENT CREDS\tREVOKE\tSLIDING\tENVIRONMENTS")
	for _, r := range r.table() {
		envs := make([]string, len(r.Environments))
		for i, e := range r.Environments {
			envs[i] = string(e)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Broker, r.PKCE, r.Refresh, r.Rotation,
			r.ClientCredentials, r.Revoke, r.SlidingExpiry, strings.Join(envs, ", "))
	}
	return tw.Flush()
}

// Table returns the capability table of the builtin brokers.
func Table() []Row { return Builtin().table() }

// WriteTable prints the builtin brokers' capability table as aligned text.
func WriteTable(w io.Writer) error { return Builtin().WriteTable(w) }
