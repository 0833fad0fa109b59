package spotwaretest

// The seeded application, user and accounts.
const (
	// ClientID and ClientSecret are the registered application.
	ClientID     = "brokerkit-ctrader-app"
	ClientSecret = "emulator-client-secret"
	// RedirectURL is its registered redirect URI (any loopback port).
	RedirectURL = "http://127.0.0.1/callback/spotware"
	// User and Password sign the seeded user in on the consent page.
	User     = "trader"
	Password = "trader-password"
	// UserID is the user's cTrader ID (ProtoOACtidProfile.userId).
	UserID int64 = 1001

	// DemoAccount has moneyDigits 2 and a balance of 10,000.00 EUR.
	DemoAccount int64 = 5001
	// DemoAccountPrecise has moneyDigits 8 and a balance of 100.53099944 USD
	// (the example in Spotware's proto comments).
	DemoAccountPrecise int64 = 5002
	// LiveAccount is served only by a live emulator (WithLive).
	LiveAccount int64 = 6001

	// BrokerName is the seeded broker's name.
	BrokerName = "Emulated Broker"
)

// The seeded symbols.
const (
	EURUSD int64 = 1
	GBPUSD int64 = 2
	USDJPY int64 = 3
	XAUUSD int64 = 4
)

// The seeded assets.
const (
	AssetEUR int64 = 1
	AssetUSD int64 = 2
	AssetGBP int64 = 3
	AssetJPY int64 = 4
	AssetXAU int64 = 5
)

type account struct {
	id          int64
	live        bool
	login       int64
	balance     int64
	moneyDigits uint32
	asset       int64
	leverage    uint32
}

var seedAccounts = []account{
	{id: DemoAccount, login: 9001, balance: 1_000_000, moneyDigits: 2, asset: AssetEUR, leverage: 10000},
	{id: DemoAccountPrecise, login: 9002, balance: 10053099944, moneyDigits: 8, asset: AssetUSD, leverage: 5000},
	{id: LiveAccount, live: true, login: 7001, balance: 250_000, moneyDigits: 2, asset: AssetUSD, leverage: 3000},
}

type asset struct {
	id     int64
	name   string
	digits int32
}

var seedAssets = []asset{
	{AssetEUR, "EUR", 2}, {AssetUSD, "USD", 2}, {AssetGBP, "GBP", 2}, {AssetJPY, "JPY", 0}, {AssetXAU, "XAU", 2},
}

type symbol struct {
	id          int64
	name        string
	base, quote int64
	digits      int32
	pip         int32
	// mid is the starting mid price in 1/100000 units; spread is the
	// spread in the same units.
	mid, spread uint64
}

var seedSymbols = []symbol{
	{EURUSD, "EUR/USD", AssetEUR, AssetUSD, 5, 4, 108_500, 12},
	{GBPUSD, "GBP/USD", AssetGBP, AssetUSD, 5, 4, 126_500, 18},
	{USDJPY, "USD/JPY", AssetUSD, AssetJPY, 3, 2, 15_123_400, 1_200},
	{XAUUSD, "XAU/USD", AssetXAU, AssetUSD, 2, 1, 235_012_000, 25_000},
}

func findSymbol(id int64) *symbol {
	for i := range seedSymbols {
		if seedSymbols[i].id == id {
			return &seedSymbols[i]
		}
	}
	return nil
}

func findAccount(id int64) *account {
	for i := range seedAccounts {
		if seedAccounts[i].id == id {
			return &seedAccounts[i]
		}
	}
	return nil
}
