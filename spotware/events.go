package spotware

import (
	"fmt"
	"time"
)

// EventKind says what changed in a session.
type EventKind int

// The state changes a session reports on Events.
const (
	// EventConnected: a connection is up and the application authorized.
	EventConnected EventKind = iota + 1
	// EventDisconnected: the connection dropped; Err says why.
	EventDisconnected
	// EventReconnecting: a reconnect attempt starts after Delay.
	EventReconnecting
	// EventReconnectFailed: attempt Attempt failed with Err.
	EventReconnectFailed
	// EventRestored: after a reconnect, accounts are authorized again; the
	// streams subscribe again by themselves.
	EventRestored
	// EventTokenRefreshed: the server refused the access token and the
	// TokenSource supplied a new one. It is sent once per new token, also
	// when several calls were refused at once and shared the refresh.
	EventTokenRefreshed
	// EventAccountAuthorized: AccountID is authorized (again) on the
	// connection.
	EventAccountAuthorized
	// EventAccountDisconnected: the server dropped AccountID's session
	// (ProtoOAAccountDisconnectEvent); the session authorizes it again.
	EventAccountDisconnected
	// EventTokenInvalidated: the server closed the sessions of Accounts
	// because their token was refreshed or revoked
	// (ProtoOAAccountsTokenInvalidatedEvent); they are authorized again.
	EventTokenInvalidated
	// EventServerDisconnect: the server announced it is dropping the
	// connection (ProtoOAClientDisconnectEvent), with Reason.
	EventServerDisconnect
	// EventStalled: the watchdog saw nothing from the server for too long
	// and dropped the connection.
	EventStalled
	// EventServerError: the server sent an error that answers no request
	// (maintenance, for example); Err is the *Error.
	EventServerError
	// EventReauthFailed: AccountID could not be authorized again; Err says
	// why. A matching auth.ErrReauthRequired means the user must log in.
	EventReauthFailed
	// EventClosed: the session ended; Err is nil after Close.
	EventClosed
)

var eventNames = map[EventKind]string{
	EventConnected: "connected", EventDisconnected: "disconnected", EventReconnecting: "reconnecting",
	EventReconnectFailed: "reconnect failed", EventRestored: "restored", EventTokenRefreshed: "token refreshed",
	EventAccountAuthorized: "account authorized", EventAccountDisconnected: "account disconnected",
	EventTokenInvalidated: "token invalidated", EventServerDisconnect: "server disconnect",
	EventStalled: "stalled", EventServerError: "server error", EventReauthFailed: "re-authorization failed",
	EventClosed: "closed",
}

// String names the kind.
func (k EventKind) String() string {
	if n, ok := eventNames[k]; ok {
		return n
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is a state change of a session.
type Event struct {
	// Kind says what happened; Time when the session noticed.
	Kind EventKind
	Time time.Time
	// Host is the host:port of the connection concerned, for connection
	// events: a session has one connection per host (live and demo).
	Host string
	// AccountID is the account concerned, when one is.
	AccountID int64
	// Accounts lists the accounts concerned by EventTokenInvalidated.
	Accounts []int64
	// Attempt counts reconnect attempts, from 1.
	Attempt int
	// Delay is the wait before a reconnect attempt.
	Delay time.Duration
	// Reason is the server's text, when it gave one.
	Reason string
	// Err is the cause, when there is one.
	Err error
}

// String describes the event on one line.
func (e Event) String() string {
	s := "spotware event: " + e.Kind.String()
	if e.Host != "" {
		s += " host=" + e.Host
	}
	if e.AccountID != 0 {
		s += fmt.Sprintf(" account=%d", e.AccountID)
	}
	if len(e.Accounts) > 0 {
		s += fmt.Sprintf(" accounts=%v", e.Accounts)
	}
	if e.Attempt > 0 {
		s += fmt.Sprintf(" attempt=%d", e.Attempt)
	}
	if e.Delay > 0 {
		s += " delay=" + e.Delay.String()
	}
	if e.Reason != "" {
		s += fmt.Sprintf(" reason=%q", e.Reason)
	}
	if e.Err != nil {
		s += " err=" + e.Err.Error()
	}
	return s
}
