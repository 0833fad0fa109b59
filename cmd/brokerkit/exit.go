package main

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/brokerkit/brokerkit/providers"
)

// The exit codes scripts can rely on (the package doc and `brokerkit help`
// list them).
const (
	exitOK          = 0 // everything asked for was done
	exitFailure     = 1 // anything else that went wrong
	exitUsage       = 2 // bad command line, or an order refused before it was sent
	exitLogin       = 3 // a (new) login is needed: no stored token, or the broker refused it
	exitPartial     = 4 // some symbols or accounts were served, others not
	exitUnavailable = 5 // the broker is unavailable or rate-limits us: try again later
)

// usageError is a bad command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// loginNeeded says the user must log in to broker (again).
type loginNeeded struct {
	broker string
	err    error  // nil: no token stored
	msg    string // replaces the message when set
}

func (e *loginNeeded) Error() string {
	if e.msg != "" {
		return e.msg
	}
	if e.err == nil {
		return fmt.Sprintf("not logged in to %s", e.broker)
	}
	return fmt.Sprintf("a new login to %s is needed: %v", e.broker, e.err)
}

func (e *loginNeeded) Unwrap() error { return auth.ErrReauthRequired }

// exitCode classifies err.
func exitCode(err error) int {
	var ue *usageError
	var pe *providers.PartialError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue), errors.Is(err, rest.ErrInvalidInput):
		return exitUsage
	case errors.Is(err, auth.ErrReauthRequired), errors.Is(err, auth.ErrNoToken), errors.Is(err, auth.ErrInvalidToken):
		return exitLogin
	case errors.Is(err, auth.ErrRateLimited), errors.Is(err, auth.ErrUnavailable):
		return exitUnavailable
	case errors.As(err, &pe):
		return exitPartial
	default:
		return exitFailure
	}
}

// worst is the exit code of a run whose brokers ended with codes: the first
// of usage, login, unavailable, failure and partial that occurs, so that a
// script learns the most actionable reason.
func worst(codes ...int) int {
	for _, c := range []int{exitUsage, exitLogin, exitUnavailable, exitFailure, exitPartial} {
		if slices.Contains(codes, c) {
			return c
		}
	}
	return exitOK
}

// hint is what the user can do about err at broker, or "".
func hint(broker string, err error) string {
	var rl *auth.RateLimitError
	switch exitCode(err) {
	case exitLogin:
		return fmt.Sprintf("run: brokerkit login %s", broker)
	case exitUnavailable:
		if errors.As(err, &rl) && rl.RetryAfter > 0 {
			return fmt.Sprintf("the broker asks to wait %s before trying again", humanDuration(rl.RetryAfter.Round(time.Second)))
		}
		return "the broker is unavailable; try again later"
	}
	if errors.Is(err, autoshares.ErrAgreementsPending) {
		return fmt.Sprintf("sign them at the broker, or run: brokerkit login %s --sign-agreements", broker)
	}
	return ""
}
