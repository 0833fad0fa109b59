// Command brokerkit logs in to retail brokers and shows accounts, balances,
// positions, quotes and orders across them from a terminal or a script, and
// serves the brokers' emulators for apps written in any language.
//
//	go install github.com/brokerkit/brokerkit/cmd/brokerkit@latest
//
//	brokerkit emulate &                   # offline brokers on 127.0.0.1
//	brokerkit login tradestation          # log in through the browser
//	brokerkit accounts --json             # one JSON document for a script
//
// Commands (brokerkit help <command> for each one's flags):
//
//	login <broker>          log in through the browser (loopback redirect) and store the token
//	status                  per broker: logged in or not, token expiry ("19m"), refresh available
//	logout <broker>         revoke the token where the broker can, and delete it
//	accounts                list trading accounts
//	balances [ACCOUNT]      cash, equity and buying power
//	positions [ACCOUNT]     open positions
//	quotes SYMBOL…          the latest prices
//	orders [ACCOUNT]        open (and the day's) orders
//	order place …           place an order (--account --symbol --side --qty [--type --limit --stop --tif])
//	order cancel …          cancel an order (--account A ORDERID)
//	stream quotes SYMBOL…   live quotes until Ctrl-C or --for
//	emulate [broker…]       serve the broker emulators
//
// --broker NAME works on one broker; without it a command works on every
// broker with a stored login. Output is a table, or with --json one JSON
// document on stdout (decimals as strings, failures under "errors");
// stream quotes --json writes one JSON object per line. Errors go to
// stderr.
//
// # Configuration
//
// Each broker reads the BROKERKIT_<BROKER>_* variables of
// providers.FromEnv (CLIENT_ID, CLIENT_SECRET, REDIRECT_URL, ENVIRONMENT,
// SCOPES, BASE_URL, and AutoShares' DOMAIN and API_KEY): exactly the lines
// `brokerkit emulate` prints. A broker with none of its variables set uses
// a running `brokerkit emulate`, which announces itself in
// os.UserConfigDir()/brokerkit/emulate.json; the command says so on stderr.
// cTrader's API is a Protobuf session over TLS on hosts of its own: from
// an announcement the command dials the announced hosts and trusts the
// certificate announced with them and nothing else (a host presenting
// another one is refused: restart brokerkit emulate). With the variables,
// a BASE_URL moves only cTrader's OAuth, so its data commands are refused
// rather than send that host's token to cTrader's real hosts.
// The login listens on the loopback host, path and port of REDIRECT_URL
// (against an emulator, which accepts any loopback port, on a free port),
// prints the address to open on stderr, and starts $BROWSER (a command;
// "%s" in it stands for the address, else the address is appended) or
// xdg-open / open when there is one; without one, open the address
// yourself.
//
// # Where the tokens are
//
// Tokens are kept encrypted (AES-256-GCM, auth.FileStore) in
// os.UserConfigDir()/brokerkit/tokens/ (mode 0700; ~/.config/brokerkit on
// Linux unless XDG_CONFIG_HOME says otherwise, ~/Library/Application
// Support/brokerkit on macOS, %AppData%\brokerkit on Windows), one file per
// broker login. The key is BROKERKIT_TOKEN_KEY (64 hex digits, e.g. kept in
// a key ring: openssl rand -hex 32) when set; otherwise the file
// os.UserConfigDir()/brokerkit/token.key (mode 0600), created on first use.
// That file keeps a copy of the tokens directory (a backup, a sync tool)
// unreadable, but not from someone who can read the whole directory; for
// that, keep the key elsewhere and pass BROKERKIT_TOKEN_KEY. An emulator's
// tokens (any BASE_URL's) are stored under a key that holds its URL, so they
// never mix with the real broker's. No command prints a token, a client
// secret, an API key, an authorization code or a PKCE verifier.
//
// # Exit codes
//
//	0  ok
//	1  failure
//	2  usage error: bad arguments, or an order refused before it was sent
//	3  login needed: no stored token, or the broker refused it (brokerkit login <broker>)
//	4  partial result: some symbols or accounts were served, others not
//	5  broker unavailable or rate-limited: try again later
//
// With several brokers the code is the first of 2, 3, 5, 1, 4 that applies,
// and the output still holds what the other brokers answered.
package main
