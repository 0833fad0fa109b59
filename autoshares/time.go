package autoshares

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Time is a timestamp as the AutoShares API writes it. The API is not
// consistent, so Time reads all of: RFC 3339 (with or without a zone, which
// then means UTC), the streaming format "01/02/2006 15:04:05", unix seconds,
// and .NET ticks (100 ns since 0001-01-01, which the docs name although
// their examples are unix seconds). It writes RFC 3339.
type Time struct{ time.Time }

// ticksAtUnixEpoch is the .NET tick count of 1970-01-01T00:00:00Z.
const ticksAtUnixEpoch = 621355968000000000

// layouts are the text forms Time accepts, in the order tried.
var layouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.9999999",
	"2006-01-02T15:04:05",
	"2006-01-02",
	"01/02/2006 15:04:05",
}

func parseTime(b []byte) (time.Time, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return time.Time{}, nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return time.Time{}, err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return time.Time{}, nil
		}
		for _, l := range layouts {
			if t, err := time.Parse(l, s); err == nil {
				return t, nil
			}
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return fromNumber(n)
		}
		return time.Time{}, fmt.Errorf("autoshares: time %q is in no known format", s)
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(b), 64)
		if ferr != nil || f < -maxUnix || f > maxTicks {
			return time.Time{}, fmt.Errorf("autoshares: time %.40s is in no known format", b)
		}
		n = int64(f)
	}
	return fromNumber(n)
}

// Bounds of the numeric forms: unix seconds within years 1..9999, .NET
// ticks up to the end of year 9999.
const (
	maxUnix  = 253402300799
	minTicks = 1e15
	maxTicks = 3155378975999999999
)

// fromNumber reads n as .NET ticks when it is too large to be unix seconds
// of any plausible date, else as unix seconds.
func fromNumber(n int64) (time.Time, error) {
	switch {
	case n >= minTicks && n <= maxTicks:
		// Seconds and remainder apart: as one time.Duration the offset
		// overflows for dates more than 292 years from 1970.
		d := n - ticksAtUnixEpoch
		return time.Unix(d/1e7, d%1e7*100).UTC(), nil
	case n >= -62135596800 && n <= maxUnix:
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("autoshares: number %d is neither unix seconds nor .NET ticks of a date", n)
}

// UnmarshalJSON reads any of the forms listed on Time.
func (t *Time) UnmarshalJSON(b []byte) error {
	v, err := parseTime(b)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

// MarshalJSON writes RFC 3339, or null for the zero time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(time.RFC3339Nano))
}
