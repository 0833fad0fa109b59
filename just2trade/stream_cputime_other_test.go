//go:build !unix

package just2trade_test

import "time"

// cpuTime is not measured here: events/cpu-s then reads +Inf.
func cpuTime() time.Duration { return 0 }
