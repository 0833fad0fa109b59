package spotwaretest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/brokerkit/brokerkit/internal/oauthsim"
	"github.com/brokerkit/brokerkit/spotware/internal/wire"
	"github.com/brokerkit/brokerkit/spotware/openapi"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

func pt[T ~int32](v T) uint32 { return uint32(v) }

var (
	ptHeartbeat = pt(openapi.ProtoPayloadType_HEARTBEAT_EVENT)
	ptAppAuth   = pt(openapi.ProtoOAPayloadType_PROTO_OA_APPLICATION_AUTH_REQ)
	heartbeat   = wire.AppendFrame(nil, ptHeartbeat, nil, "")
	oaCode      = func(c openapi.ProtoOAErrorCode) string { return c.String() }
)

// startProto opens the two Protobuf hosts, demo and live, as cTrader has
// them: each serves only its own kind of account.
func (s *Server) startProto() error {
	cert, pool, err := selfSigned()
	if err != nil {
		return err
	}
	s.pool = pool
	for _, live := range []bool{false, true} {
		ln, err := tls.Listen("tcp", s.opts.protoAddr(live), &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		if err != nil {
			s.closeListeners()
			return fmt.Errorf("spotwaretest: listening on 127.0.0.1: %w", err)
		}
		if live {
			s.lnLive, s.LiveAddr = ln, ln.Addr().String()
		} else {
			s.lnDemo, s.DemoAddr = ln, ln.Addr().String()
		}
	}
	s.Addr = s.DemoAddr
	if s.opts.live {
		s.Addr = s.LiveAddr
	}
	s.wg.Add(2)
	go s.accept(s.lnDemo, false)
	go s.accept(s.lnLive, true)
	return nil
}

func (s *Server) closeListeners() {
	for _, ln := range []net.Listener{s.lnDemo, s.lnLive} {
		if ln != nil {
			_ = ln.Close()
		}
	}
}

func (s *Server) accept(ln net.Listener, live bool) {
	defer s.wg.Done()
	addr := ln.Addr().String()
	for {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		p := &peer{s: s, nc: nc, live: live, addr: addr, done: make(chan struct{}), accounts: map[int64]session{},
			subs: map[int64]map[int64]spotSub{}, lastRecv: time.Now()}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = nc.Close()
			return
		}
		s.peers[p] = struct{}{}
		s.wg.Add(3)
		s.mu.Unlock()
		// Each connection is one of the emulator's streams for the
		// shared stream faults: Faults().CutStreams drops it.
		var cut context.Context
		cut, p.untrack = s.eng.Faults().TrackStream(context.Background())
		go func() {
			defer s.wg.Done()
			select {
			case <-cut.Done():
				p.close()
			case <-p.done:
			}
		}()
		go p.readLoop()
		go p.tickLoop()
	}
}

// session is an account authorized on a connection.
type session struct {
	token  string
	userID string
}

// spotSub is one symbol's subscription on a connection.
type spotSub struct {
	next  uint64 // the next tick to send
	stamp bool   // subscribeToSpotTimestamp was asked for
}

// peer is one client connection.
type peer struct {
	s    *Server
	nc   net.Conn
	live bool   // accepted by the live host
	addr string // the host's address
	wmu  sync.Mutex
	done chan struct{}
	once sync.Once
	// untrack ends the connection's entry in the shared stream faults.
	untrack func()

	// spotMu orders spot frames: a subscription's snapshot goes out
	// before the ticker's next events.
	spotMu sync.Mutex

	mu        sync.Mutex
	appAuthed bool
	accounts  map[int64]session
	subs      map[int64]map[int64]spotSub // account → symbol → subscription
	lastRecv  time.Time
	winStart  time.Time
	winCount  map[bool]int // historical? → requests in the current second
}

func (p *peer) close() {
	p.once.Do(func() {
		_ = p.nc.Close()
		close(p.done)
		if p.untrack != nil {
			p.untrack()
		}
		p.s.mu.Lock()
		delete(p.s.peers, p)
		p.s.mu.Unlock()
	})
}

func (p *peer) readLoop() {
	defer p.s.wg.Done()
	defer p.close()
	r := wire.NewReader(p.nc, wire.DefaultMaxFrame)
	for {
		body, err := r.Next()
		if err != nil {
			if errors.Is(err, wire.ErrFrameTooLarge) {
				p.sendCommon("", openapi.ProtoErrorCode_FRAME_TOO_LONG.String(), "frame is too long")
			}
			return
		}
		env, err := wire.ParseEnvelope(body)
		if err != nil {
			p.sendCommon("", openapi.ProtoErrorCode_INVALID_REQUEST.String(), "malformed ProtoMessage")
			return
		}
		p.mu.Lock()
		p.lastRecv = time.Now()
		p.mu.Unlock()
		p.s.count(p.addr, env.PayloadType)
		p.handle(env)
	}
}

func (s *Server) count(addr string, payloadType uint32) {
	s.mu.Lock()
	s.stats[payloadType]++
	if s.hostStats[addr] == nil {
		s.hostStats[addr] = map[uint32]int{}
	}
	s.hostStats[addr][payloadType]++
	s.mu.Unlock()
}

func (p *peer) tickLoop() {
	defer p.s.wg.Done()
	o := p.s.opts
	hb := time.NewTicker(o.heartbeat)
	defer hb.Stop()
	idle := time.NewTicker(max(o.idle/4, time.Millisecond))
	defer idle.Stop()
	spots := time.NewTicker(o.spotPeriod)
	defer spots.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-hb.C:
			p.write(heartbeat)
		case <-idle.C:
			p.mu.Lock()
			silent := time.Since(p.lastRecv)
			p.mu.Unlock()
			if silent > o.idle {
				p.close()
				return
			}
		case <-spots.C:
			p.sendSpots()
		}
	}
}

// write sends frames, applying the frame faults.
func (p *peer) write(frames []byte) {
	s := p.s
	s.mu.Lock()
	f := s.flags
	s.flags.cutNext = false
	s.mu.Unlock()
	if f.frozen {
		return
	}
	p.wmu.Lock()
	defer p.wmu.Unlock()
	_ = p.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	switch {
	case f.cutNext:
		_, _ = p.nc.Write(frames[:max(len(frames)/2, 1)])
		p.close()
	case f.splitFrames && len(frames) > 1:
		half := len(frames) / 2
		if _, err := p.nc.Write(frames[:half]); err != nil {
			p.close()
			return
		}
		time.Sleep(2 * time.Millisecond)
		if _, err := p.nc.Write(frames[half:]); err != nil {
			p.close()
		}
	default:
		if _, err := p.nc.Write(frames); err != nil {
			p.close()
		}
	}
}

func (p *peer) send(id string, m proto.Message) {
	if id == withheldID {
		return
	}
	b, err := wire.AppendMessage(nil, m, id, proto.MarshalOptions{})
	if err != nil {
		// The emulator builds every message itself, so this is a bug in
		// it; the client sees the connection end.
		p.close()
		return
	}
	p.write(b)
}

// sendErr answers with a ProtoOAErrorRes.
func (p *peer) sendErr(id string, account int64, code, desc string) {
	m := &openapi.ProtoOAErrorRes{ErrorCode: proto.String(code), Description: proto.String(desc)}
	if account != 0 {
		m.CtidTraderAccountId = proto.Int64(account)
	}
	p.send(id, m)
}

// sendCommon answers with a ProtoErrorRes.
func (p *peer) sendCommon(id, code, desc string) {
	p.send(id, &openapi.ProtoErrorRes{ErrorCode: proto.String(code), Description: proto.String(desc)})
}

// rateLimited counts a request against the connection's per-second
// window; true means it exceeded the limit and was answered.
func (p *peer) rateLimited(id string, payloadType uint32) bool {
	o := p.s.opts
	hist := payloadType == pt(openapi.ProtoOAPayloadType_PROTO_OA_GET_TRENDBARS_REQ) ||
		payloadType == pt(openapi.ProtoOAPayloadType_PROTO_OA_GET_TICKDATA_REQ)
	limit := o.rate
	if hist {
		limit = o.hist
	}
	p.mu.Lock()
	now := time.Now()
	if now.Sub(p.winStart) >= time.Second {
		p.winStart, p.winCount = now, map[bool]int{}
	}
	p.winCount[hist]++
	over := limit > 0 && p.winCount[hist] > limit
	p.mu.Unlock()
	if !over {
		return false
	}
	retry := uint64((o.retryAfter + time.Second - 1) / time.Second)
	p.send(id, &openapi.ProtoOAErrorRes{ErrorCode: proto.String(o.rateCode), Description: proto.String("too many requests"),
		RetryAfter: proto.Uint64(retry)})
	return true
}

func (p *peer) handle(env wire.Envelope) {
	id, t := env.ClientMsgID, env.PayloadType
	if t == ptHeartbeat {
		return
	}
	if f := p.s.takeFault(t); f != nil && f.withhold {
		id = withheldID // handled below, its answers dropped by send
	} else if f != nil {
		switch {
		case f.silent:
		case f.common:
			p.send(id, &openapi.ProtoErrorRes{ErrorCode: proto.String(f.code), Description: proto.String(f.desc),
				MaintenanceEndTimestamp: msOrNil(f.until)})
		default:
			m := &openapi.ProtoOAErrorRes{ErrorCode: proto.String(f.code), Description: proto.String(f.desc)}
			if !f.until.IsZero() {
				m.MaintenanceEndTimestamp = proto.Int64(f.until.Unix())
			}
			if f.retryAfter > 0 {
				m.RetryAfter = proto.Uint64(uint64(f.retryAfter / time.Second))
			}
			p.send(id, m)
		}
		return
	}
	p.mu.Lock()
	authed := p.appAuthed
	p.mu.Unlock()
	if t == ptAppAuth {
		p.appAuth(id, env.Payload, authed)
		return
	}
	if !authed {
		p.sendErr(id, 0, oaCode(openapi.ProtoOAErrorCode_CH_CLIENT_NOT_AUTHENTICATED), "Client is not authenticated")
		return
	}
	if p.rateLimited(id, t) {
		return
	}
	switch openapi.ProtoOAPayloadType(t) {
	case openapi.ProtoOAPayloadType_PROTO_OA_VERSION_REQ:
		var req openapi.ProtoOAVersionReq
		if p.decode(id, env.Payload, &req) {
			p.send(id, &openapi.ProtoOAVersionRes{Version: proto.String(Version)})
		}
	case openapi.ProtoOAPayloadType_PROTO_OA_ACCOUNT_AUTH_REQ:
		var req openapi.ProtoOAAccountAuthReq
		if p.decode(id, env.Payload, &req) {
			p.accountAuth(id, &req)
		}
	case openapi.ProtoOAPayloadType_PROTO_OA_ACCOUNT_LOGOUT_REQ:
		var req openapi.ProtoOAAccountLogoutReq
		if p.decode(id, env.Payload, &req) {
			p.logout(id, req.GetCtidTraderAccountId())
		}
	case openapi.ProtoOAPayloadType_PROTO_OA_GET_ACCOUNTS_BY_ACCESS_TOKEN_REQ:
		var req openapi.ProtoOAGetAccountListByAccessTokenReq
		if p.decode(id, env.Payload, &req) {
			p.accountList(id, req.GetAccessToken())
		}
	case openapi.ProtoOAPayloadType_PROTO_OA_GET_CTID_PROFILE_BY_TOKEN_REQ:
		var req openapi.ProtoOAGetCtidProfileByTokenReq
		if p.decode(id, env.Payload, &req) {
			p.profile(id, req.GetAccessToken())
		}
	case openapi.ProtoOAPayloadType_PROTO_OA_REFRESH_TOKEN_REQ:
		var req openapi.ProtoOARefreshTokenReq
		if p.decode(id, env.Payload, &req) {
			p.refresh(id, req.GetRefreshToken())
		}
	case openapi.ProtoOAPayloadType_PROTO_OA_TRADER_REQ:
		var req openapi.ProtoOATraderReq
		if p.decode(id, env.Payload, &req) {
			p.trader(id, req.GetCtidTraderAccountId())
		}
	case openapi.ProtoOAPayloadType_PROTO_OA_ASSET_LIST_REQ:
		var req openapi.ProtoOAAssetListReq
		if p.decode(id, env.Payload, &req) {
			p.assets(id, req.GetCtidTraderAccountId())
		}
	case openapi.ProtoOAPayloadType_PROTO_OA_SYMBOLS_LIST_REQ:
		var req openapi.ProtoOASymbolsListReq
		if p.decode(id, env.Payload, &req) {
			p.symbols(id, req.GetCtidTraderAccountId())
		}
	case openapi.ProtoOAPayloadType_PROTO_OA_SYMBOL_BY_ID_REQ:
		var req openapi.ProtoOASymbolByIdReq
		if p.decode(id, env.Payload, &req) {
			p.symbolsByID(id, req.GetCtidTraderAccountId(), req.GetSymbolId())
		}
	case openapi.ProtoOAPayloadType_PROTO_OA_SUBSCRIBE_SPOTS_REQ:
		var req openapi.ProtoOASubscribeSpotsReq
		if p.decode(id, env.Payload, &req) {
			p.subscribe(id, req.GetCtidTraderAccountId(), req.GetSymbolId(), req.GetSubscribeToSpotTimestamp())
		}
	case openapi.ProtoOAPayloadType_PROTO_OA_UNSUBSCRIBE_SPOTS_REQ:
		var req openapi.ProtoOAUnsubscribeSpotsReq
		if p.decode(id, env.Payload, &req) {
			p.unsubscribe(id, req.GetCtidTraderAccountId(), req.GetSymbolId())
		}
	default:
		if p.trade(id, t, env.Payload) {
			return
		}
		p.sendCommon(id, openapi.ProtoErrorCode_UNSUPPORTED_MESSAGE.String(), "payload type "+strconv.FormatUint(uint64(t), 10)+" is not supported")
	}
}

func msOrNil(t time.Time) *uint64 {
	if t.IsZero() {
		return nil
	}
	return proto.Uint64(uint64(t.UnixMilli()))
}

// decode reads a request strictly (required fields enforced), answering
// INVALID_REQUEST when it does not decode.
func (p *peer) decode(id string, payload []byte, m proto.Message) bool {
	if err := proto.Unmarshal(payload, m); err != nil {
		p.sendCommon(id, openapi.ProtoErrorCode_INVALID_REQUEST.String(), "request does not decode")
		return false
	}
	return true
}

func (p *peer) appAuth(id string, payload []byte, authed bool) {
	var req openapi.ProtoOAApplicationAuthReq
	if !p.decode(id, payload, &req) {
		return
	}
	if authed {
		p.sendErr(id, 0, oaCode(openapi.ProtoOAErrorCode_CH_CLIENT_ALREADY_AUTHENTICATED), "Client is already authenticated")
		return
	}
	if req.GetClientId() != ClientID || req.GetClientSecret() != ClientSecret {
		p.sendErr(id, 0, oaCode(openapi.ProtoOAErrorCode_CH_CLIENT_AUTH_FAILURE), "clientId or clientSecret is incorrect")
		p.close()
		return
	}
	p.mu.Lock()
	p.appAuthed = true
	p.mu.Unlock()
	p.send(id, &openapi.ProtoOAApplicationAuthRes{})
}

// checkToken validates an access token; code is empty when it is good.
func (s *Server) checkToken(token string) (g *oauthsim.Grant, code, desc string) {
	g, err := s.eng.ValidateToken(token, oauthsim.WithoutTouch())
	switch {
	case err == nil:
		return g, "", ""
	case errors.Is(err, oauthsim.ErrExpiredToken):
		return nil, s.opts.expiredCode, "Access token expired"
	default:
		return nil, oaCode(openapi.ProtoOAErrorCode_CH_ACCESS_TOKEN_INVALID), "Invalid access token"
	}
}

func (p *peer) accountAuth(id string, req *openapi.ProtoOAAccountAuthReq) {
	acct := req.GetCtidTraderAccountId()
	g, code, desc := p.s.checkToken(req.GetAccessToken())
	if code != "" {
		p.sendErr(id, acct, code, desc)
		return
	}
	a := findAccount(acct)
	if a == nil || g.UserID != strconv.FormatInt(UserID, 10) {
		p.sendErr(id, acct, oaCode(openapi.ProtoOAErrorCode_CH_CTID_TRADER_ACCOUNT_NOT_FOUND), "Trading account is not found")
		return
	}
	if a.live != p.live {
		p.sendErr(id, acct, openapi.ProtoErrorCode_CANT_ROUTE_REQUEST.String(), "Trading account is served by the other host")
		return
	}
	p.mu.Lock()
	prev, dup := p.accounts[acct]
	if dup {
		// A session whose token has since expired or been revoked is dead:
		// authorizing again with a good token replaces it.
		if _, code, _ := p.s.checkToken(prev.token); code != "" {
			dup = false
		}
	}
	if !dup {
		p.accounts[acct] = session{token: req.GetAccessToken(), userID: g.UserID}
	}
	p.mu.Unlock()
	if dup {
		p.sendErr(id, acct, oaCode(openapi.ProtoOAErrorCode_ALREADY_LOGGED_IN), "Trading account is already authorized in this channel")
		return
	}
	p.send(id, &openapi.ProtoOAAccountAuthRes{CtidTraderAccountId: proto.Int64(acct)})
}

// requireAccount checks that acct is authorized and its token still good.
func (p *peer) requireAccount(id string, acct int64) bool {
	p.mu.Lock()
	sess, ok := p.accounts[acct]
	p.mu.Unlock()
	if !ok {
		p.sendErr(id, acct, oaCode(openapi.ProtoOAErrorCode_ACCOUNT_NOT_AUTHORIZED), "Trading account is not authorized")
		return false
	}
	if _, code, desc := p.s.checkToken(sess.token); code != "" {
		p.sendErr(id, acct, code, desc)
		return false
	}
	return true
}

func (p *peer) logout(id string, acct int64) {
	if !p.requireAccount(id, acct) {
		return
	}
	p.mu.Lock()
	delete(p.accounts, acct)
	delete(p.subs, acct)
	p.mu.Unlock()
	p.send(id, &openapi.ProtoOAAccountLogoutRes{CtidTraderAccountId: proto.Int64(acct)})
	p.send("", &openapi.ProtoOAAccountDisconnectEvent{CtidTraderAccountId: proto.Int64(acct)})
}

func (p *peer) accountList(id, token string) {
	g, code, desc := p.s.checkToken(token)
	if code != "" {
		p.sendErr(id, 0, code, desc)
		return
	}
	res := &openapi.ProtoOAGetAccountListByAccessTokenRes{AccessToken: proto.String(token),
		PermissionScope: openapi.ProtoOAClientPermissionScope_SCOPE_VIEW.Enum()}
	if g.HasScope("trading") {
		res.PermissionScope = openapi.ProtoOAClientPermissionScope_SCOPE_TRADE.Enum()
	}
	for _, a := range seedAccounts {
		res.CtidTraderAccount = append(res.CtidTraderAccount, &openapi.ProtoOACtidTraderAccount{
			CtidTraderAccountId: proto.Uint64(uint64(a.id)), IsLive: proto.Bool(a.live), TraderLogin: proto.Int64(a.login),
			BrokerTitleShort: proto.String(BrokerName)})
	}
	p.send(id, res)
}

func (p *peer) profile(id, token string) {
	g, code, desc := p.s.checkToken(token)
	if code != "" {
		p.sendErr(id, 0, code, desc)
		return
	}
	uid, _ := strconv.ParseInt(g.UserID, 10, 64)
	p.send(id, &openapi.ProtoOAGetCtidProfileByTokenRes{Profile: &openapi.ProtoOACtidProfile{UserId: proto.Int64(uid)}})
}

func (p *peer) refresh(id, refreshToken string) {
	a := p.s.refreshOverProto(refreshToken)
	if a.ErrorCode != "" {
		p.sendErr(id, 0, oaCode(openapi.ProtoOAErrorCode_CH_ACCESS_TOKEN_INVALID), a.ErrorCode+": "+a.Description)
		return
	}
	p.send(id, &openapi.ProtoOARefreshTokenRes{AccessToken: proto.String(a.AccessToken), TokenType: proto.String(a.TokenType),
		ExpiresIn: proto.Int64(a.ExpiresIn), RefreshToken: proto.String(a.RefreshToken)})
}

func (p *peer) trader(id string, acct int64) {
	if !p.requireAccount(id, acct) {
		return
	}
	a := findAccount(acct)
	t := &openapi.ProtoOATrader{CtidTraderAccountId: proto.Int64(a.id), Balance: proto.Int64(p.s.trade.balance(a)),
		DepositAssetId: proto.Int64(a.asset), LeverageInCents: proto.Uint32(a.leverage), TraderLogin: proto.Int64(a.login),
		BrokerName: proto.String(BrokerName), MoneyDigits: proto.Uint32(a.moneyDigits),
		AccountType: openapi.ProtoOAAccountType_HEDGED.Enum(), AccessRights: openapi.ProtoOAAccessRights_FULL_ACCESS.Enum(),
		RegistrationTimestamp: proto.Int64(1_700_000_000_000)}
	p.send(id, &openapi.ProtoOATraderRes{CtidTraderAccountId: proto.Int64(acct), Trader: t})
}

func (p *peer) assets(id string, acct int64) {
	if !p.requireAccount(id, acct) {
		return
	}
	res := &openapi.ProtoOAAssetListRes{CtidTraderAccountId: proto.Int64(acct)}
	for _, a := range seedAssets {
		res.Asset = append(res.Asset, &openapi.ProtoOAAsset{AssetId: proto.Int64(a.id), Name: proto.String(a.name),
			DisplayName: proto.String(a.name), Digits: proto.Int32(a.digits)})
	}
	p.send(id, res)
}

func (p *peer) symbols(id string, acct int64) {
	if !p.requireAccount(id, acct) {
		return
	}
	res := &openapi.ProtoOASymbolsListRes{CtidTraderAccountId: proto.Int64(acct)}
	for i, sy := range seedSymbols {
		res.Symbol = append(res.Symbol, &openapi.ProtoOALightSymbol{SymbolId: proto.Int64(sy.id), SymbolName: proto.String(sy.name),
			Enabled: proto.Bool(true), BaseAssetId: proto.Int64(sy.base), QuoteAssetId: proto.Int64(sy.quote),
			SymbolCategoryId: proto.Int64(1), Description: proto.String(sy.name), SortingNumber: proto.Float64(float64(i))})
	}
	p.send(id, res)
}

func (p *peer) symbolsByID(id string, acct int64, ids []int64) {
	if !p.requireAccount(id, acct) {
		return
	}
	unknown := p.s.unknownFields()
	res := &openapi.ProtoOASymbolByIdRes{CtidTraderAccountId: proto.Int64(acct)}
	for _, sid := range ids {
		sy := findSymbol(sid)
		if sy == nil {
			continue
		}
		m := &openapi.ProtoOASymbol{SymbolId: proto.Int64(sy.id), Digits: proto.Int32(sy.digits), PipPosition: proto.Int32(sy.pip)}
		m.LotSize, m.MinVolume, m.StepVolume, m.MaxVolume = volumeFields(sy)
		if unknown {
			// Fields the published schema lacks: 41 (gslScheduleId) and a
			// string at 40 (measurementUnits).
			var raw []byte
			raw = protowire.AppendTag(raw, 40, protowire.BytesType)
			raw = protowire.AppendString(raw, "lots")
			raw = protowire.AppendTag(raw, 41, protowire.VarintType)
			raw = protowire.AppendVarint(raw, 7)
			m.ProtoReflect().SetUnknown(raw)
		}
		res.Symbol = append(res.Symbol, m)
	}
	p.send(id, res)
}

func (p *peer) subscribe(id string, acct int64, ids []int64, stamp bool) {
	if !p.requireAccount(id, acct) {
		return
	}
	p.spotMu.Lock()
	defer p.spotMu.Unlock()
	p.mu.Lock()
	for _, sid := range ids {
		if findSymbol(sid) == nil {
			p.mu.Unlock()
			p.sendErr(id, acct, oaCode(openapi.ProtoOAErrorCode_SYMBOL_NOT_FOUND), "Symbol "+strconv.FormatInt(sid, 10)+" is not found")
			return
		}
		if _, dup := p.subs[acct][sid]; dup {
			p.mu.Unlock()
			p.sendErr(id, acct, oaCode(openapi.ProtoOAErrorCode_ALREADY_SUBSCRIBED), "Already subscribed to spots of symbol "+strconv.FormatInt(sid, 10))
			return
		}
	}
	if p.subs[acct] == nil {
		p.subs[acct] = map[int64]spotSub{}
	}
	for _, sid := range ids {
		p.subs[acct][sid] = spotSub{next: 1, stamp: stamp} // tick 0 goes out with the answer
	}
	p.mu.Unlock()
	p.send(id, &openapi.ProtoOASubscribeSpotsRes{CtidTraderAccountId: proto.Int64(acct)})
	var batch []byte
	for _, sid := range slices.Sorted(slices.Values(ids)) {
		batch = p.appendSpot(batch, acct, sid, 0, stamp)
	}
	p.write(batch)
}

func (p *peer) unsubscribe(id string, acct int64, ids []int64) {
	if !p.requireAccount(id, acct) {
		return
	}
	p.mu.Lock()
	for _, sid := range ids {
		if _, ok := p.subs[acct][sid]; !ok {
			p.mu.Unlock()
			p.sendErr(id, acct, oaCode(openapi.ProtoOAErrorCode_NOT_SUBSCRIBED_TO_SPOTS), "Not subscribed to spots of symbol "+strconv.FormatInt(sid, 10))
			return
		}
	}
	for _, sid := range ids {
		delete(p.subs[acct], sid)
	}
	p.mu.Unlock()
	p.send(id, &openapi.ProtoOAUnsubscribeSpotsRes{CtidTraderAccountId: proto.Int64(acct)})
}

// appendSpot appends the frame of tick n of a symbol's stream, with the
// server's timestamp when stamp (subscribeToSpotTimestamp) says so.
func (p *peer) appendSpot(dst []byte, acct, sid int64, n uint64, stamp bool) []byte {
	t, _ := PriceAt(sid, n)
	ev := &openapi.ProtoOASpotEvent{CtidTraderAccountId: proto.Int64(acct), SymbolId: proto.Int64(sid)}
	if stamp {
		ev.Timestamp = proto.Int64(time.Now().UnixMilli())
	}
	if t.HasBid {
		ev.Bid = proto.Uint64(t.Bid)
	}
	if t.HasAsk {
		ev.Ask = proto.Uint64(t.Ask)
	}
	if p.s.unknownFields() {
		ev.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 99, protowire.VarintType), n))
	}
	out, err := wire.AppendMessage(dst, ev, "", proto.MarshalOptions{})
	if err != nil {
		return dst // unreachable: every required field is set above
	}
	return out
}

// sendSpots sends the next ticks of every subscribed symbol in one write.
func (p *peer) sendSpots() {
	per := p.s.opts.spotsPerTck
	p.s.mu.Lock()
	paused := p.s.flags.spotsPaused
	p.s.mu.Unlock()
	if paused || p.s.eng.Faults().StreamsStalled() {
		return
	}
	p.spotMu.Lock()
	defer p.spotMu.Unlock()
	type item struct {
		acct, sid int64
		n         uint64
		stamp     bool
	}
	p.mu.Lock()
	var items []item
	for acct, m := range p.subs {
		for sid, sub := range m {
			items = append(items, item{acct, sid, sub.next, sub.stamp})
			m[sid] = spotSub{next: sub.next + uint64(per), stamp: sub.stamp}
		}
	}
	p.mu.Unlock()
	if len(items) == 0 {
		return
	}
	slices.SortFunc(items, func(a, b item) int {
		if a.acct != b.acct {
			return int(a.acct - b.acct)
		}
		return int(a.sid - b.sid)
	})
	var batch []byte
	for k := range per {
		for _, it := range items {
			batch = p.appendSpot(batch, it.acct, it.sid, it.n+uint64(k), it.stamp)
		}
	}
	p.write(batch)
}
