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
	// Environments lists the deployments, the default first.
	Environments []auth.Environment
	// Note says the one thing to know about the broker's login.
	Note string
}

// capabilityTable is the documented behaviour of each broker with the
// configuration providers.New builds. TestCapabilityTable holds it to each
// provider's own Capabilities(), so the two cannot drift apart.
var capabilityTable = []Row{
	{Broker: AutoShares, PKCE: Yes, Refresh: OptIn, Rotation: No, ClientCredentials: No, Revoke: No,
		SlidingExpiry: No, Environments: []auth.Environment{auth.Live, auth.Demo},
		Note: "Auth0 tenant; API secret key header on every call"},
	{Broker: Just2Trade, PKCE: OptIn, Refresh: No, Rotation: No, ClientCredentials: No, Revoke: No,
		SlidingExpiry: Yes, Environments: []auth.Environment{"just2trade", "lime"},
		Note: "no refresh grant: 24 h token prolonged by use (Lime: fixed 3:00 AM ET expiry)"},
	{Broker: Spotware, PKCE: No, Refresh: Yes, Rotation: Yes, ClientCredentials: No, Revoke: No,
		SlidingExpiry: No, Environments: []auth.Environment{auth.Live, auth.Demo},
		Note: "token by GET, camelCase JSON; single-use refresh token; API is protobuf over TLS"},
	{Broker: TradeStation, PKCE: OptIn, Refresh: Yes, Rotation: OptIn, ClientCredentials: No, Revoke: Yes,
		SlidingExpiry: No, Environments: []auth.Environment{auth.Live, auth.Sim},
		Note: "20-minute access tokens; audience per API (trading, AOP); v2 legacy flow available"},
}

// Table returns the capability table, one row per broker in Names order.
func Table() []Row {
	out := make([]Row, len(capabilityTable))
	for i, r := range capabilityTable {
		r.Environments = slices.Clone(r.Environments)
		out[i] = r
	}
	return out
}

// WriteTable prints the capability table as aligned text.
func WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "BROKER\tPKCE\tREFRESH\tROTATION\tCLIENT CREDS\tREVOKE\tSLIDING\tENVIRONMENTS")
	for _, r := range capabilityTable {
		envs := make([]string, len(r.Environments))
		for i, e := range r.Environments {
			envs[i] = string(e)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Broker, r.PKCE, r.Refresh, r.Rotation,
			r.ClientCredentials, r.Revoke, r.SlidingExpiry, strings.Join(envs, ", "))
	}
	return tw.Flush()
}
