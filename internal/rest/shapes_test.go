package rest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPageAllWalksEveryPage(t *testing.T) {
	fetches := 0
	var pageAt func(i int) *Page[int]
	pageAt = func(i int) *Page[int] {
		var next func(context.Context) (*Page[int], error)
		if i < 2 {
			next = func(context.Context) (*Page[int], error) { fetches++; return pageAt(i + 1), nil }
		}
		return NewPage([]int{i * 10, i*10 + 1}, 6, next)
	}
	var got []int
	for v, err := range pageAt(0).All(context.Background()) {
		require.NoError(t, err)
		got = append(got, v)
	}
	assert.Equal(t, []int{0, 1, 10, 11, 20, 21}, got)
	assert.Equal(t, 2, fetches)

	// Stopping early fetches nothing more.
	fetches = 0
	for range pageAt(0).All(context.Background()) {
		break
	}
	assert.Zero(t, fetches)
}

func TestPageAllYieldsTheFetchError(t *testing.T) {
	boom := errors.New("boom")
	p := NewPage([]string{"a"}, -1, func(context.Context) (*Page[string], error) { return nil, boom })
	var items []string
	var errs []error
	for v, err := range p.All(context.Background()) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		items = append(items, v)
	}
	assert.Equal(t, []string{"a"}, items)
	assert.Equal(t, []error{boom}, errs)
	last, err := NewPage([]string{"x"}, 1, nil).Next(context.Background())
	assert.Nil(t, last)
	assert.NoError(t, err)
}

func TestPartialErrorIsCleanAndStable(t *testing.T) {
	assert.NoError(t, NewPartialError("b", nil))
	err := NewPartialError("b", map[string]string{"MSFT": "bad\r\nsymbol", "AAPL": "halted"})
	var pe *PartialError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "b: 2 item(s) failed: AAPL (halted); MSFT (bad  symbol)", err.Error())
	assert.False(t, strings.ContainsAny(err.Error(), "\r\n"))
}

func TestInvalidMatchesErrInvalidInput(t *testing.T) {
	err := Invalid("tradestation", "quotes: %d symbols, at most %d", 101, 100)
	assert.ErrorIs(t, err, ErrInvalidInput)
	assert.Equal(t, "tradestation: invalid input: quotes: 101 symbols, at most 100", err.Error())
}

func TestCheckCall(t *testing.T) {
	cfg := errors.New("bad config")
	assert.Same(t, cfg, CheckCall(context.Background(), "b", cfg))
	//lint:ignore SA1012 a nil context is what is being checked
	assert.ErrorIs(t, CheckCall(nil, "b", nil), ErrInvalidInput) //nolint:staticcheck
	assert.NoError(t, CheckCall(context.Background(), "b", nil))
}
