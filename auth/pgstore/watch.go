package pgstore

import (
	"context"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/brokerkit/brokerkit/auth"
)

// channel is the one LISTEN/NOTIFY channel every write and delete is
// announced on, with the payload "s VERSION KEY" or "d VERSION KEY".
const channel = "brokerkit_tokens"

// watchBuffer is how many changes wait for a slow reader before the
// watcher stops reading the connection (the server queues the rest).
const watchBuffer = 64

// Change is one notification from Watch: key's row was written (a login or
// a refresh) or deleted (a logout) by any Store on the database, this one
// included. It is auth.Change, so that Store is an auth.Watcher and an
// auth.Manager follows it (auth.Manager.Watch).
type Change = auth.Change

// Watch delivers the changes that any Store on this database makes from
// the moment it returns until ctx ends. It listens on its own connection,
// opened with the pool's configuration but outside the pool, so that it
// never takes a connection the stores need.
//
// The channel is closed when ctx ends or the connection fails (TCP
// keepalive probes notice a dropped one within about 30 seconds). A channel
// closed while ctx is still live means changes may have been missed: drop
// what was cached from the store and call Watch again.
func (s *Store) Watch(ctx context.Context) (<-chan Change, error) {
	cfg := s.pool.Config().ConnConfig
	if dial := cfg.DialFunc; dial != nil {
		// A listener only reads, so a silently dropped connection would
		// never fail on its own: probe it.
		cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dial(ctx, network, addr)
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: 15 * time.Second, Interval: 5 * time.Second, Count: 3})
			}
			return c, err
		}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, wrapDB(ctx, "watching", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		closeConn(conn)
		return nil, wrapDB(ctx, "watching", err)
	}
	ch := make(chan Change, watchBuffer)
	go func() {
		defer close(ch)
		defer closeConn(conn)
		for {
			n, err := conn.WaitForNotification(ctx)
			if err != nil {
				return
			}
			c, ok := parseChange(n.Payload)
			if !ok {
				continue // not ours: someone else notified the channel
			}
			select {
			case ch <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch, nil
}

func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	_ = conn.Close(ctx)
	cancel()
}

func parseChange(payload string) (Change, bool) {
	op, rest, ok1 := strings.Cut(payload, " ")
	ver, key, ok2 := strings.Cut(rest, " ")
	v, err := strconv.ParseInt(ver, 10, 64)
	if !ok1 || !ok2 || err != nil || v <= 0 || key == "" || (op != "s" && op != "d") {
		return Change{}, false
	}
	return Change{Key: key, Version: v, Deleted: op == "d"}, true
}
