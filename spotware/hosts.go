package spotware

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/brokerkit/brokerkit/auth"
)

// ProtobufPort is the port of the Protobuf API; 5036 serves JSON, which
// brokerkit does not speak.
const ProtobufPort = 5035

// The Protobuf API hosts. Live and demo are separate systems: an account is
// served only by the host its IsLive says.
const (
	LiveHost = "live.ctraderapi.com"
	DemoHost = "demo.ctraderapi.com"
)

// Region names one of Spotware's regional proxies, for when the global
// resolver misbehaves (requests that hang without reply, for example).
type Region string

// The documented regions.
const (
	RegionSingapore Region = "sg"
	RegionAustralia Region = "au"
	RegionEurope    Region = "eu"
	RegionUSEast    Region = "use"
)

// Addr returns the host:port of the Protobuf API for env (auth.Live or
// auth.Demo). region may be empty for the global resolver.
func Addr(env auth.Environment, region Region) (string, error) {
	var base string
	switch env {
	case auth.Live:
		base = "live"
	case auth.Demo:
		base = "demo"
	default:
		return "", fmt.Errorf("spotware: environment %q is neither live nor demo", env)
	}
	host := base + ".ctraderapi.com"
	switch region {
	case "":
	case RegionSingapore, RegionAustralia, RegionEurope, RegionUSEast:
		host = base + "-" + string(region) + ".ctraderapi.com"
	default:
		return "", fmt.Errorf("spotware: unknown region %q", region)
	}
	return net.JoinHostPort(host, strconv.Itoa(ProtobufPort)), nil
}

// pairedHosts returns the live and the demo address of a Spotware host
// (live.ctraderapi.com:5035 gives demo.ctraderapi.com:5035, a regional or
// individual proxy its counterpart of the same name), or "" for both when
// addr is not one.
func pairedHosts(addr string) (live, demo string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", ""
	}
	name := strings.ToLower(host)
	if !strings.HasSuffix(name, ".ctraderapi.com") {
		return "", ""
	}
	for _, p := range [][2]string{{"live", "demo"}, {"demo", "live"}} {
		if rest, ok := strings.CutPrefix(name, p[0]); ok && (strings.HasPrefix(rest, ".") || strings.HasPrefix(rest, "-")) {
			pair := [2]string{addr, net.JoinHostPort(p[1]+rest, port)}
			if p[0] == "demo" {
				pair[0], pair[1] = pair[1], pair[0]
			}
			return pair[0], pair[1]
		}
	}
	return "", ""
}
