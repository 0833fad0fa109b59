package autoshares

import (
	"context"
	"encoding/json"
	"github.com/brokerkit/brokerkit/internal/rest"
	"net/http"
	"strconv"

	"github.com/shopspring/decimal"
)

// Price-alert states.
const (
	AlertNew       = "New"
	AlertExpired   = "Expired"
	AlertCompleted = "Completed"
	AlertStopped   = "Stopped"
)

// Price-alert operators and fields.
const (
	AlertGreaterOrEqual = "GTEQ"
	AlertLessOrEqual    = "LTEQ"
	AlertFieldAsk       = "Ask"
	AlertFieldBid       = "Bid"
	AlertFieldLast      = "Last"
)

// PriceAlert is a price alert (PriceAlertInfoModel).
type PriceAlert struct {
	ID             int64           `json:"Id"`
	State          string          `json:"State"`
	CreatedDate    *Time           `json:"CreatedDate,omitempty"`
	Operator       string          `json:"Operator"`
	SecurityID     int64           `json:"SecurityId"`
	Symbol         string          `json:"Symbol,omitempty"`
	Field          string          `json:"Field"`
	Argument       decimal.Decimal `json:"Argument"`
	ExpirationDate *Time           `json:"ExpirationDate,omitempty"`
}

// NewPriceAlert is an alert to create or the new content of one to update:
// it fires when Field of the security compares to Argument by Operator.
type NewPriceAlert struct {
	SecurityID int64
	Operator   string
	Field      string
	Argument   decimal.Decimal
	// ExpirationDate is sent as unix seconds, the unit of the documented
	// examples.
	ExpirationDate *Time
	// State is sent as given on update; create always sends "New".
	State string
}

func (a NewPriceAlert) validate() error {
	if a.SecurityID <= 0 {
		return rest.Invalid(Name, "price alert: security id %d is not positive (resolve it with Quotes.LookupSecurity)", a.SecurityID)
	}
	if a.Operator != AlertGreaterOrEqual && a.Operator != AlertLessOrEqual {
		return rest.Invalid(Name, "price alert: operator %q is not GTEQ or LTEQ", a.Operator)
	}
	switch a.Field {
	case AlertFieldAsk, AlertFieldBid, AlertFieldLast:
	default:
		return rest.Invalid(Name, "price alert: field %q is not Ask, Bid or Last", a.Field)
	}
	return nil
}

// MarshalJSON writes the documented body, with Argument as a JSON number.
func (a NewPriceAlert) MarshalJSON() ([]byte, error) {
	state := a.State
	if state == "" {
		state = AlertNew
	}
	return json.Marshal(struct {
		State          string      `json:"State"`
		Operator       string      `json:"Operator"`
		SecurityID     int64       `json:"SecurityId"`
		Field          string      `json:"Field"`
		Argument       json.Number `json:"Argument"`
		ExpirationDate *int64      `json:"ExpirationDate,omitempty"`
	}{state, a.Operator, a.SecurityID, a.Field, json.Number(a.Argument.String()), unixSeconds(a.ExpirationDate)})
}

// ListOptions page and sort the price-alert list. The broker requires all
// four of its parameters (pageNumber, pageSize, sortBy, isDesc), so each is
// always sent.
type ListOptions struct {
	// PageNumber is zero-based.
	PageNumber int `url:"pageNumber"`
	// PageSize is the number of alerts per page; zero asks for 99 (the
	// page size the positions list allows at most; the broker documents
	// no bound for alerts).
	PageSize int `url:"pageSize"`
	// SortBy is the alert field the list is sorted by; empty means "Id"
	// (creation order, stable across pages).
	SortBy string `url:"sortBy"`
	// Desc sorts in descending order (isDesc).
	Desc bool `url:"isDesc"`
}

// defaultAlertsSort is the sort sent when the caller names none.
const defaultAlertsSort = "Id"

// PriceAlertsService manages a user's price alerts.
type PriceAlertsService service

// Create creates an alert for user.
func (s *PriceAlertsService) Create(ctx context.Context, user UserRef, a NewPriceAlert) (*PriceAlert, error) {
	if err := a.validate(); err != nil {
		return nil, err
	}
	a.State = AlertNew
	p, err := s.c.path(s.c.paths.PriceAlerts, user, nil)
	if err != nil {
		return nil, err
	}
	var out PriceAlert
	if err := s.c.call(ctx, call{method: http.MethodPost, path: p, body: a}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// List returns one page of user's alerts (opts may be nil: the first
// page, sorted by Id).
func (s *PriceAlertsService) List(ctx context.Context, user UserRef, opts *ListOptions) (*Page[PriceAlert], error) {
	var o ListOptions
	if opts != nil {
		o = *opts
	}
	if o.PageSize < 0 || o.PageNumber < 0 {
		return nil, rest.Invalid(Name, "price alerts: negative page number or size")
	}
	if o.PageSize == 0 {
		o.PageSize = defaultPageSize
	}
	if o.SortBy == "" {
		o.SortBy = defaultAlertsSort
	}
	p, err := s.c.path(s.c.paths.PriceAlerts, user, nil)
	if err != nil {
		return nil, err
	}
	return fetchPage[PriceAlert](ctx, s.c, p, o)
}

func (s *PriceAlertsService) alertPath(user UserRef, id int64) (string, error) {
	if id <= 0 {
		return "", rest.Invalid(Name, "price alert id %d is not positive", id)
	}
	return s.c.path(s.c.paths.PriceAlert, user, map[string]string{"alertId": strconv.FormatInt(id, 10)})
}

// Get returns one alert.
func (s *PriceAlertsService) Get(ctx context.Context, user UserRef, id int64) (*PriceAlert, error) {
	p, err := s.alertPath(user, id)
	if err != nil {
		return nil, err
	}
	var out PriceAlert
	if err := s.c.call(ctx, call{method: http.MethodGet, path: p}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Update replaces an alert's condition (and state, when a.State is set).
func (s *PriceAlertsService) Update(ctx context.Context, user UserRef, id int64, a NewPriceAlert) (*PriceAlert, error) {
	if err := a.validate(); err != nil {
		return nil, err
	}
	p, err := s.alertPath(user, id)
	if err != nil {
		return nil, err
	}
	var out PriceAlert
	if err := s.c.call(ctx, call{method: http.MethodPut, path: p, body: a, idempotent: true}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Delete removes an alert.
func (s *PriceAlertsService) Delete(ctx context.Context, user UserRef, id int64) error {
	p, err := s.alertPath(user, id)
	if err != nil {
		return err
	}
	return s.c.call(ctx, call{method: http.MethodDelete, path: p, idempotent: true}, nil)
}

// unixSeconds is t in unix seconds, nil for no time.
func unixSeconds(t *Time) *int64 {
	if t == nil || t.IsZero() {
		return nil
	}
	n := t.Unix()
	return &n
}
