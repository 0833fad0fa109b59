package oauthsim

import (
	"encoding/json"

	"github.com/shopspring/decimal"
)

// Decimal writes v as a JSON number with every digit kept, as the brokers
// write prices and quantities (a float64 would round 0.1 + 0.2).
func Decimal(v decimal.Decimal) json.Number { return json.Number(v.String()) }
