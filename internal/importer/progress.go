package importer

import (
	"fmt"
	"strings"
	"time"
)

// Line is one line of progress: lines done of total, imported and skipped,
// the rate since the run started and the time left at that rate; with a
// bar of width characters when width > 0 (a terminal).
func Line(s Summary, start, total int, now time.Time, width int) string {
	done := s.Lines - start
	rate := 0.0
	if el := now.Sub(s.Started).Seconds(); el > 0 {
		rate = float64(done) / el
	}
	eta := "?"
	if rate > 0 && total >= s.Lines {
		eta = (time.Duration(float64(total-s.Lines)/rate) * time.Second).Round(time.Second).String()
	}
	text := fmt.Sprintf("%d/%d lines  %d imported  %d skipped  %.0f/s  ETA %s", s.Lines, total, s.Imported, s.Skipped, rate, eta)
	if width <= 0 || total <= 0 {
		return text
	}
	filled := min(width, width*s.Lines/total)
	return "[" + strings.Repeat("=", filled) + strings.Repeat(" ", width-filled) + "] " + text
}
