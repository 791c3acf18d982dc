package cli

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress draws one self-overwriting status line on standard error while
// module hashes are checked: only on a terminal (or with --progress always),
// never in CI logs.
type progress struct {
	w       io.Writer
	mu      sync.Mutex
	last    time.Time
	printed bool
}

func newProgress(stderr io.Writer, mode string, e env) *progress {
	on := mode == "always" || mode == "auto" && isTerminal(stderr) && e.get("CI") == ""
	if !on {
		return &progress{}
	}
	return &progress{w: stderr}
}

// update is the audit.Options.Progress callback; nil-safe and throttled.
func (p *progress) update(done, total int, bytes int64) {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := time.Now(); done < total && now.Sub(p.last) < 100*time.Millisecond {
		return
	} else {
		p.last = now
	}
	fmt.Fprintf(p.w, "\r\x1b[Kmodseal: hashing modules %d/%d, %s", done, total, formatBytes(bytes))
	p.printed = true
}

// finish clears the status line.
func (p *progress) finish() {
	if p == nil || p.w == nil || !p.printed {
		return
	}
	fmt.Fprint(p.w, "\r\x1b[K")
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
