package emulate

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// AnnouncementFile is the name of the file, in the brokerkit directory
// under os.UserConfigDir, where a running `brokerkit emulate` says what it
// serves, so that other brokerkit commands find it.
const AnnouncementFile = "emulate.json"

// ErrNotRunning says no emulator announced itself, or the one that did is
// gone.
var ErrNotRunning = errors.New("emulate: no brokerkit emulate is running")

// announcement is the announcement file's content.
type announcement struct {
	Version  int    `json:"version"`
	PID      int    `json:"pid"`
	AdminURL string `json:"admin_url"`
	Brokers  []Info `json:"brokers"`
}

func (s *Server) announcement() announcement {
	return announcement{Version: 1, PID: os.Getpid(), AdminURL: s.adminU, Brokers: s.Brokers()}
}

// writeAnnouncement writes a to dir (made 0700 if missing) as a 0600 file,
// atomically: a reader sees the old file or the new one, never half.
func writeAnnouncement(dir string, a announcement) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("emulate: announcement directory: %w", err)
	}
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return "", fmt.Errorf("emulate: announcement: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".emulate-*.json") // mode 0600
	if err != nil {
		return "", fmt.Errorf("emulate: writing the announcement: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	_, err = tmp.Write(append(b, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	path := filepath.Join(dir, AnnouncementFile)
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return "", fmt.Errorf("emulate: writing the announcement: %w", err)
	}
	return path, nil
}

// ReadAnnouncement returns the brokers a running `brokerkit emulate`
// announced in dir (the brokerkit directory under os.UserConfigDir), by
// broker name; Info.Config is the providers.Config of each one's seeded
// application. It matches ErrNotRunning when there is no announcement or its admin API
// no longer answers (an emulator killed without its clean shutdown).
func ReadAnnouncement(dir string) (map[string]Info, error) {
	b, err := os.ReadFile(filepath.Join(dir, AnnouncementFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotRunning
	}
	if err != nil {
		return nil, fmt.Errorf("emulate: reading the announcement: %w", err)
	}
	var a announcement
	if err := json.Unmarshal(b, &a); err != nil || a.Version != 1 {
		return nil, fmt.Errorf("emulate: %s is not an announcement this brokerkit reads", filepath.Join(dir, AnnouncementFile))
	}
	u, err := url.Parse(a.AdminURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("emulate: the announcement's admin URL is not a URL")
	}
	conn, err := net.DialTimeout("tcp", u.Host, time.Second)
	if err != nil {
		return nil, fmt.Errorf("%w (the announcement in %s is stale)", ErrNotRunning, dir)
	}
	_ = conn.Close()
	out := make(map[string]Info, len(a.Brokers))
	for _, info := range a.Brokers {
		out[info.Broker] = info
	}
	return out, nil
}
