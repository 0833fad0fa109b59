package just2trade

import (
	"encoding/binary"
	"time"
)

// usEasternRule is the POSIX TZ rule of America/New_York since 2007:
// EST (UTC-5), EDT from the second Sunday of March to the first Sunday of
// November, switching at 2:00 local time.
const usEasternRule = "EST5EDT,M3.2.0,M11.1.0"

// usEastern returns America/New_York from the system's zone database, or,
// where there is none (a scratch container, Windows without Go's tzdata),
// a zone built from usEasternRule, which agrees with it for every date
// since 2007.
func usEastern() *time.Location {
	if loc, err := time.LoadLocation("America/New_York"); err == nil {
		return loc
	}
	if loc, err := time.LoadLocationFromTZData("America/New_York", posixZone(-5*3600, "EST", usEasternRule)); err == nil {
		return loc
	}
	return time.FixedZone("EST", -5*3600)
}

// posixZone encodes a TZif version 2 file with no transitions, one zone
// (offset, abbreviation) and a footer rule; time.LoadLocationFromTZData
// applies the footer rule to every instant.
func posixZone(offset int32, abbrev, rule string) []byte {
	block := func(version byte) []byte {
		b := []byte("TZif")
		b = append(b, version)
		b = append(b, make([]byte, 15)...)
		// isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
		for _, n := range []uint32{0, 0, 0, 0, 1, uint32(len(abbrev) + 1)} {
			b = binary.BigEndian.AppendUint32(b, n)
		}
		b = binary.BigEndian.AppendUint32(b, uint32(offset))
		b = append(b, 0, 0) // isdst, abbreviation index
		b = append(b, abbrev...)
		return append(b, 0)
	}
	data := block('2')
	data = append(data, block('2')...)
	return append(data, "\n"+rule+"\n"...)
}
