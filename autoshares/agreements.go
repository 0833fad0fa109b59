package autoshares

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/brokerkit/brokerkit/internal/rest"
	"net/http"
	"strconv"
	"strings"
)

// Agreement statuses of the emulator contract.
const (
	AgreementPending = "Pending"
	AgreementSigned  = "Signed"
	AgreementSkipped = "Skipped"
)

// Agreement is an agreement the user must sign (or may skip). The
// documented item carries only Type and CanSkip; the richer item of the
// AutoShares guides and the emulator contract adds Id, Title, Version and
// more. HasID says whether the answer carried an id at all: an agreement
// without one cannot be signed through the API.
type Agreement struct {
	ID          int64   `json:"Id"`
	HasID       bool    `json:"-"`
	Type        string  `json:"Type"`
	Title       string  `json:"Title,omitempty"`
	Version     Version `json:"Version,omitzero"`
	CanSkip     bool    `json:"CanSkip"`
	Required    *bool   `json:"Required,omitempty"`
	DocumentURL string  `json:"DocumentUrl,omitempty"`
	Status      string  `json:"Status,omitempty"`
	SignedAt    *Time   `json:"SignedAt,omitempty"`
}

// IsRequired reports whether the agreement blocks the user until signed:
// Required when the answer says so, else when it cannot be skipped.
func (a *Agreement) IsRequired() bool {
	if a.Required != nil {
		return *a.Required
	}
	return !a.CanSkip
}

func (a *Agreement) label() string {
	name := a.Title
	if name == "" {
		name = a.Type
	}
	if name == "" {
		name = "agreement"
	}
	if a.HasID {
		return fmt.Sprintf("%s (id %d)", name, a.ID)
	}
	return name
}

// Version is an agreement's version exactly as the API sent it (a number
// or a string), so that signing echoes it unchanged.
type Version struct{ raw json.RawMessage }

// String returns the version as text.
func (v Version) String() string {
	var s string
	if json.Unmarshal(v.raw, &s) == nil {
		return s
	}
	return string(v.raw)
}

// IsZero reports whether no version was sent.
func (v Version) IsZero() bool { return len(v.raw) == 0 || string(v.raw) == "null" }

// UnmarshalJSON keeps the raw value.
func (v *Version) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || (b[0] != '"' && !json.Valid(b)) {
		return errors.New("autoshares: agreement version is not JSON")
	}
	v.raw = append(json.RawMessage(nil), b...)
	return nil
}

// MarshalJSON writes the raw value back.
func (v Version) MarshalJSON() ([]byte, error) {
	if v.IsZero() {
		return []byte("null"), nil
	}
	return v.raw, nil
}

// AgreementsService lists and signs agreements.
type AgreementsService service

// Outstanding returns the agreements the user has not signed yet; an empty
// list means nothing is outstanding. Items without an id are kept (HasID
// false).
func (s *AgreementsService) Outstanding(ctx context.Context, user UserRef) ([]Agreement, error) {
	p, err := s.c.path(s.c.paths.Agreements, user, nil)
	if err != nil {
		return nil, err
	}
	var raw []json.RawMessage
	if err := s.c.call(ctx, call{method: http.MethodGet, path: p, noLookup: true}, &raw); err != nil {
		return nil, err
	}
	out := make([]Agreement, 0, len(raw))
	for i, r := range raw {
		a, err := s.c.decodeAgreement(r)
		if err != nil {
			return nil, s.c.invalid(fmt.Sprintf("agreement %d", i), err)
		}
		if a.Status != "" && a.Status != AgreementPending {
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

// decodeAgreement reads one item, taking the id from the configured field.
func (c *Client) decodeAgreement(r json.RawMessage) (Agreement, error) {
	type plain Agreement
	var v struct {
		plain
		// Id shadows plain's, which would refuse a string id: the id is
		// read below from the configured field, number or string.
		RawID json.RawMessage `json:"Id"`
	}
	if err := json.Unmarshal(r, &v); err != nil {
		return Agreement{}, err
	}
	a := Agreement(v.plain)
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(r, &obj); err != nil {
		return a, err
	}
	if raw, ok := obj[c.agreementIDField]; ok && string(bytes.TrimSpace(raw)) != "null" {
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return a, fmt.Errorf("%s is neither a number nor a string", c.agreementIDField)
			}
			n = json.Number(s)
		}
		id, err := strconv.ParseInt(n.String(), 10, 64)
		if err != nil {
			return a, fmt.Errorf("%s %q is not an integer", c.agreementIDField, n.String())
		}
		a.ID, a.HasID = id, true
	}
	return a, nil
}

// signBody is the emulator contract's sign request.
type signBody struct {
	Version  Version `json:"Version,omitzero"`
	Accepted bool    `json:"Accepted"`
}

// Sign signs agreement a for user. It sends a's version, so a stale
// version is refused (ErrConflict). It returns the updated agreement (a
// copy of a marked Signed when the broker answers without a body).
func (s *AgreementsService) Sign(ctx context.Context, user UserRef, a Agreement) (*Agreement, error) {
	if !a.HasID && a.ID == 0 {
		return nil, rest.Invalid(Name, "agreement %s has no id: the broker's list did not say which agreement to sign (set WithAgreementIDField if it uses another field)", a.label())
	}
	p, err := s.c.path(s.c.paths.SignAgreement, user, map[string]string{"agreementId": strconv.FormatInt(a.ID, 10)})
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if err := s.c.call(ctx, call{method: http.MethodPost, path: p, body: signBody{Version: a.Version, Accepted: true}}, &raw); err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		signed := a
		signed.Status = AgreementSigned
		return &signed, nil
	}
	signed, err := s.c.decodeAgreement(raw)
	if err != nil {
		return nil, s.c.invalid("signed agreement", err)
	}
	return &signed, nil
}

// SignAllRequired signs every outstanding agreement that the user cannot
// skip and returns the signed ones. It stops at the first failure, which
// names the agreement.
func (s *AgreementsService) SignAllRequired(ctx context.Context, user UserRef) ([]Agreement, error) {
	list, err := s.Outstanding(ctx, user)
	if err != nil {
		return nil, err
	}
	var signed []Agreement
	for _, a := range list {
		if !a.IsRequired() {
			continue
		}
		got, err := s.Sign(ctx, user, a)
		if err != nil {
			return signed, fmt.Errorf("autoshares: signing %s: %w", a.label(), err)
		}
		signed = append(signed, *got)
	}
	return signed, nil
}

// pendingError turns an agreements_pending refusal into an
// *AgreementsPendingError naming the outstanding agreements, fetched with
// one extra call (best effort: the refusal stands if that call fails).
func (c *Client) pendingError(ctx context.Context, e *Error) error {
	pe := &AgreementsPendingError{Err: e}
	list, err := c.Agreements.Outstanding(ctx, Me)
	if err == nil {
		for _, a := range list {
			if a.IsRequired() {
				pe.Agreements = append(pe.Agreements, a)
			}
		}
		if len(pe.Agreements) == 0 {
			pe.Agreements = list
		}
	}
	return pe
}

// AgreementTitles lists the agreements' display names, for messages.
func AgreementTitles(list []Agreement) string {
	names := make([]string, len(list))
	for i := range list {
		names[i] = list[i].label()
	}
	return strings.Join(names, ", ")
}
