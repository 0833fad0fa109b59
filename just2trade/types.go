package just2trade

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Time is an instant the API writes as Unix seconds (a JSON number).
type Time struct {
	time.Time
}

// UnmarshalJSON reads Unix seconds given as a JSON number or a numeric
// string; null and 0 leave the zero time.
func (t *Time) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*t = Time{}
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(s)
	}
	// Only a JSON number literal: ParseFloat alone would also take "NaN",
	// "Inf" and hex floats.
	var sec float64
	err := json.Unmarshal(b, &sec)
	if err != nil || !(sec >= 0 && sec <= 1e11) {
		return fmt.Errorf("just2trade: timestamp %q is not Unix seconds", b)
	}
	if sec == 0 {
		*t = Time{}
		return nil
	}
	whole := int64(sec)
	*t = Time{time.Unix(whole, int64((sec-float64(whole))*1e9)).UTC()}
	return nil
}

// MarshalJSON writes Unix seconds; the zero time is 0.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("0"), nil
	}
	return strconv.AppendInt(nil, t.Unix(), 10), nil
}

// ID is an identifier the API may write as a JSON string or number; it is
// always kept as text.
type ID string

// UnmarshalJSON accepts a string, a number or null.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*id = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = ID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("just2trade: identifier %.40q is neither a string nor a number", b)
	}
	*id = ID(n.String())
	return nil
}

// dateLayout is the API's calendar-day format (yyyy-MM-dd) in paths and
// queries.
const dateLayout = "2006-01-02"

// FormatDate renders t's calendar day, in t's location, as the API
// expects it. Convert t first to the day's zone you mean.
func FormatDate(t time.Time) string { return t.Format(dateLayout) }
