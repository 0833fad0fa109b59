package spotwaretest

import (
	"slices"
	"time"

	"github.com/brokerkit/brokerkit/spotware/openapi"
	"google.golang.org/protobuf/proto"
)

// tcpFault answers (or ignores) the next requests of a payload type.
type tcpFault struct {
	payloadType uint32 // 0: any request but heartbeats
	silent      bool
	withhold    bool // handled, but the answer dropped
	common      bool
	code, desc  string
	until       time.Time
	retryAfter  time.Duration
	left        int
}

func (s *Server) addFault(f *tcpFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

func (s *Server) takeFault(payloadType uint32) *tcpFault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.payloadType != 0 && f.payloadType != payloadType {
			continue
		}
		f.left--
		if f.left <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return f
	}
	return nil
}

// FailNext answers the next times requests of payloadType (0: any) with a
// ProtoOAErrorRes carrying code and description, for example
// ("CH_ACCESS_TOKEN_INVALID", "Access token expired").
func (s *Server) FailNext(payloadType uint32, code, description string, times int) {
	s.addFault(&tcpFault{payloadType: payloadType, code: code, desc: description, left: times})
}

// RateLimitNext answers the next times requests of payloadType (0: any)
// with code (REQUEST_FREQUENCY_EXCEEDED or BLOCKED_PAYLOAD_TYPE) and
// retryAfter, whole seconds.
func (s *Server) RateLimitNext(payloadType uint32, code string, retryAfter time.Duration, times int) {
	s.addFault(&tcpFault{payloadType: payloadType, code: code, desc: "rate limit reached", retryAfter: retryAfter, left: times})
}

// MaintenanceNext answers the next times requests of payloadType (0: any)
// with SERVER_IS_UNDER_MAINTENANCE and maintenanceEndTimestamp until (in
// seconds, as ProtoOAErrorRes documents it). With common, the answer is a
// ProtoErrorRes with the timestamp in milliseconds instead.
func (s *Server) MaintenanceNext(payloadType uint32, until time.Time, common bool, times int) {
	s.addFault(&tcpFault{payloadType: payloadType, common: common, until: until, left: times,
		code: openapi.ProtoOAErrorCode_SERVER_IS_UNDER_MAINTENANCE.String(), desc: "Server is under maintenance"})
}

// SilenceNext leaves the next times requests of payloadType (0: any)
// unanswered, as the server has been seen to do.
func (s *Server) SilenceNext(payloadType uint32, times int) {
	s.addFault(&tcpFault{payloadType: payloadType, silent: true, left: times})
}

// WithholdNext handles the next times requests of payloadType (0: any)
// but drops their answers to the asking connection, as if the answer were
// lost after the server acted: an order is placed, yet its caller hears
// nothing. Other connections of the account still get the execution
// events.
func (s *Server) WithholdNext(payloadType uint32, times int) {
	s.addFault(&tcpFault{payloadType: payloadType, withhold: true, left: times})
}

// ClearFaults removes every pending request fault and frame fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
	s.flags = flags{}
}

// SetUnknownFields makes symbols and spot events carry fields the
// published schema lacks (ProtoOASymbol 40 and 41, ProtoOASpotEvent 99).
func (s *Server) SetUnknownFields(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flags.unknownFields = on
}

func (s *Server) unknownFields() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flags.unknownFields
}

// SetSplitFrames writes every batch of frames in two halves with a pause
// between, so frames arrive cut in the middle and must be reassembled.
func (s *Server) SetSplitFrames(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flags.splitFrames = on
}

// CutNextFrame writes only the first half of the next write on any
// connection and then drops that connection.
func (s *Server) CutNextFrame() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flags.cutNext = true
}

// Freeze stops (or resumes) every write to every connection, heartbeats
// included, while the connections stay open: a stalled server.
func (s *Server) Freeze(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flags.frozen = on
}

// PauseSpots stops (or resumes) the spot streams while everything else,
// heartbeats included, goes on: quotes that silently stop. A new
// subscription still gets its first quote.
func (s *Server) PauseSpots(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flags.spotsPaused = on
}

// DisconnectAccount drops account's session on every connection, with
// ProtoOAAccountDisconnectEvent; the connections stay up. It returns how
// many sessions were dropped.
func (s *Server) DisconnectAccount(account int64) int {
	n := 0
	for _, p := range s.snapshotPeers() {
		p.mu.Lock()
		_, ok := p.accounts[account]
		delete(p.accounts, account)
		delete(p.subs, account)
		p.mu.Unlock()
		if ok {
			n++
			p.send("", &openapi.ProtoOAAccountDisconnectEvent{CtidTraderAccountId: proto.Int64(account)})
		}
	}
	return n
}

// InvalidateAccounts closes the sessions of accounts on every connection
// with ProtoOAAccountsTokenInvalidatedEvent and reason, as a revoked token
// does; the connections stay up. It returns how many connections were told.
func (s *Server) InvalidateAccounts(reason string, accounts ...int64) int {
	n := 0
	for _, p := range s.snapshotPeers() {
		var hit []int64
		p.mu.Lock()
		for _, a := range accounts {
			if _, ok := p.accounts[a]; ok {
				hit = append(hit, a)
				delete(p.accounts, a)
				delete(p.subs, a)
			}
		}
		p.mu.Unlock()
		if len(hit) > 0 {
			n++
			p.send("", &openapi.ProtoOAAccountsTokenInvalidatedEvent{CtidTraderAccountIds: hit, Reason: proto.String(reason)})
		}
	}
	return n
}

// tokensInvalidated closes the account sessions authorized with access
// tokens that died early — revoked, or replaced by a refresh of their
// login — with ProtoOAAccountsTokenInvalidatedEvent, as cTrader does; the
// connections stay up. The engine calls it (Config.OnInvalidate).
func (s *Server) tokensInvalidated(tokens []string) {
	for _, p := range s.snapshotPeers() {
		var hit []int64
		p.mu.Lock()
		for a, sess := range p.accounts {
			if slices.Contains(tokens, sess.token) {
				hit = append(hit, a)
				delete(p.accounts, a)
				delete(p.subs, a)
			}
		}
		p.mu.Unlock()
		if len(hit) > 0 {
			slices.Sort(hit)
			p.send("", &openapi.ProtoOAAccountsTokenInvalidatedEvent{CtidTraderAccountIds: hit,
				Reason: proto.String("Access token was refreshed or revoked")})
		}
	}
}

// DisconnectClients sends ProtoOAClientDisconnectEvent with reason to every
// connection and closes them. It returns how many there were.
func (s *Server) DisconnectClients(reason string) int {
	peers := s.snapshotPeers()
	for _, p := range peers {
		p.send("", &openapi.ProtoOAClientDisconnectEvent{Reason: proto.String(reason)})
		p.close()
	}
	return len(peers)
}

// DropConnections closes every connection without a word, as a network
// failure does. It returns how many there were.
func (s *Server) DropConnections() int { return s.DropConnectionsTo("") }

// DropConnectionsTo is DropConnections for the connections of one host
// (DemoAddr or LiveAddr); "" means both.
func (s *Server) DropConnectionsTo(addr string) int {
	n := 0
	for _, p := range s.snapshotPeers() {
		if addr == "" || p.addr == addr {
			p.close()
			n++
		}
	}
	return n
}
