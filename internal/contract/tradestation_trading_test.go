package contract_test

import (
	"context"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/brokerkit/brokerkit/tradestation"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// TradeStation's trading, bar and symbol services (trading issue, item 1),
// signature by signature.
var (
	_ func(context.Context, *tradestation.OrderRequest) ([]tradestation.OrderResult, error)                       = (*tradestation.OrdersService)(nil).Place
	_ func(context.Context, *tradestation.OrderRequest) ([]tradestation.OrderConfirmation, error)                 = (*tradestation.OrdersService)(nil).Confirm
	_ func(context.Context, *tradestation.OrderGroup) ([]tradestation.OrderResult, error)                         = (*tradestation.OrdersService)(nil).PlaceGroup
	_ func(context.Context, *tradestation.OrderGroup) ([]tradestation.OrderConfirmation, error)                   = (*tradestation.OrdersService)(nil).ConfirmGroup
	_ func(context.Context, string, *tradestation.OrderReplace) (*tradestation.OrderResult, error)                = (*tradestation.OrdersService)(nil).Replace
	_ func(context.Context, string) (*tradestation.OrderResult, error)                                            = (*tradestation.OrdersService)(nil).Cancel
	_ func(context.Context, string, ...string) ([]tradestation.Order, error)                                      = (*tradestation.OrdersService)(nil).Get
	_ func(context.Context, string, *tradestation.OrdersOptions) (*tradestation.Page[tradestation.Order], error)  = (*tradestation.OrdersService)(nil).List
	_ func(context.Context, string, *tradestation.HistoryOptions) (*tradestation.Page[tradestation.Order], error) = (*tradestation.OrdersService)(nil).History
	_ func(context.Context) ([]tradestation.Route, error)                                                         = (*tradestation.OrdersService)(nil).Routes
	_ func(context.Context) ([]tradestation.ActivationTrigger, error)                                             = (*tradestation.OrdersService)(nil).ActivationTriggers
	_ func(context.Context, string, *tradestation.BarsOptions) ([]tradestation.Bar, error)                        = (*tradestation.BarsService)(nil).Get
	_ func(context.Context, ...string) ([]tradestation.SymbolDetail, error)                                       = (*tradestation.SymbolsService)(nil).Get
	_ *rest.Page[tradestation.Order]                                                                              = (*tradestation.Page[tradestation.Order])(nil)
	_ func(*tradestationtest.Server, string, decimal.Decimal) error                                               = (*tradestationtest.Server).SetQuote
	_                                                                                                             = tradestation.Client{Orders: (*tradestation.OrdersService)(nil), Bars: (*tradestation.BarsService)(nil),
		Symbols: (*tradestation.SymbolsService)(nil)}
)
