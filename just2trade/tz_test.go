package just2trade

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPosixZoneMatchesZoneDatabase(t *testing.T) {
	fallback, err := time.LoadLocationFromTZData("fallback", posixZone(-5*3600, "EST", usEasternRule))
	require.NoError(t, err)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		// No zone database on this machine: compare with the known offsets.
		for _, c := range []struct {
			at     time.Time
			offset int
		}{
			{time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), -5 * 3600},
			{time.Date(2026, 7, 15, 12, 0, 0, 0, time.UTC), -4 * 3600},
			{time.Date(2026, 3, 8, 6, 59, 0, 0, time.UTC), -5 * 3600},
			{time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC), -4 * 3600},
			{time.Date(2026, 11, 1, 5, 59, 0, 0, time.UTC), -4 * 3600},
			{time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC), -5 * 3600},
		} {
			_, off := c.at.In(fallback).Zone()
			assert.Equal(t, c.offset, off, c.at.String())
		}
		return
	}
	// Every half hour over three years, DST changes included.
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for at := start; at.Before(start.AddDate(3, 0, 0)); at = at.Add(30 * time.Minute) {
		_, want := at.In(ny).Zone()
		_, got := at.In(fallback).Zone()
		if got != want {
			t.Fatalf("offset at %s: fallback %d, zone database %d", at, got, want)
		}
	}
}

func TestNextDailyExpiry(t *testing.T) {
	ny := usEastern()
	cases := []struct {
		name string
		at   time.Time
		want time.Time
	}{
		{"afternoon: next morning", time.Date(2026, 6, 10, 15, 0, 0, 0, ny), time.Date(2026, 6, 11, 3, 0, 0, 0, ny)},
		{"small hours: same morning", time.Date(2026, 6, 10, 1, 30, 0, 0, ny), time.Date(2026, 6, 10, 3, 0, 0, 0, ny)},
		{"exactly 3:00: next day", time.Date(2026, 6, 10, 3, 0, 0, 0, ny), time.Date(2026, 6, 11, 3, 0, 0, 0, ny)},
		{"winter, UTC input", time.Date(2026, 1, 10, 7, 59, 0, 0, time.UTC), time.Date(2026, 1, 10, 8, 0, 0, 0, time.UTC)},
		{"summer, UTC input", time.Date(2026, 7, 10, 7, 59, 0, 0, time.UTC), time.Date(2026, 7, 11, 7, 0, 0, 0, time.UTC)},
		{"spring forward night", time.Date(2026, 3, 7, 22, 0, 0, 0, ny), time.Date(2026, 3, 8, 3, 0, 0, 0, ny)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := NextDailyExpiry(c.at, DailyExpiry{})
			assert.True(t, got.Equal(c.want), "got %s want %s", got, c.want)
		})
	}
	got := NextDailyExpiry(time.Date(2026, 6, 10, 15, 0, 0, 0, time.UTC), DailyExpiry{Hour: 16, Minute: 30, Location: time.UTC})
	assert.True(t, got.Equal(time.Date(2026, 6, 10, 16, 30, 0, 0, time.UTC)), got.String())
}
