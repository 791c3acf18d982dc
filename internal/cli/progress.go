package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
)

// progress draws one self-overwriting status line on standard error while
// an audit runs: only on a terminal (or with --progress always), never in
// CI logs. The line names the phase: hashing modules (with a count), then,
// once every hash is checked, the checks still running; it is redrawn every
// second with the phase's elapsed time, so that it never sits frozen while
// the go command or the checksum database is being asked.
type progress struct {
	w    io.Writer
	tick time.Duration // redraw period; 0: no redraw
	now  func() time.Time

	mu      sync.Mutex
	last    time.Time // last draw
	since   time.Time // start of the current phase
	printed bool
	stopped bool
	stop    chan struct{}

	hashing      bool // a hash count was reported
	done, total  int
	bytes        int64
	running      map[string]int // named checks still running (begin/end)
	runningOrder []string       // their names, in the order they began
}

func newProgress(stderr io.Writer, mode string, e env) *progress {
	on := mode == "always" || mode == "auto" && isTerminal(stderr) && e.get("CI") == ""
	if !on {
		return &progress{}
	}
	p := &progress{w: stderr, tick: time.Second, now: time.Now}
	p.start()
	return p
}

// start begins the periodic redraw.
func (p *progress) start() {
	p.since = p.now()
	p.running = make(map[string]int)
	if p.tick <= 0 {
		return
	}
	p.stop = make(chan struct{})
	t := time.NewTicker(p.tick)
	go func() {
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.mu.Lock()
				if !p.stopped {
					p.draw()
				}
				p.mu.Unlock()
			}
		}
	}()
}

// update is the audit.Options.Progress callback; nil-safe and throttled.
// The last call (done == total) is always drawn, then the line moves on to
// the next phase: the checks still running.
func (p *progress) update(done, total int, bytes int64) {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	now := p.now()
	if !p.hashing {
		p.hashing, p.since = true, now
	}
	p.done, p.total, p.bytes = done, total, bytes
	if done < total && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	if done < total {
		p.draw()
		return
	}
	// The final count, then the next phase: the other checks.
	p.write("modseal: " + p.hashCount())
	p.since = now
	p.draw()
}

// begin marks the named check as running until the returned function is
// called; nil-safe. The line lists the checks still running once hashing is
// over (or when there is no hashing).
func (p *progress) begin(check string) (end func()) {
	if p == nil || p.w == nil {
		return func() {}
	}
	p.mu.Lock()
	if p.running[check] == 0 {
		p.runningOrder = append(p.runningOrder, check)
	}
	p.running[check]++
	p.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			if p.running[check]--; p.running[check] <= 0 {
				delete(p.running, check)
				p.runningOrder = slices.DeleteFunc(p.runningOrder, func(s string) bool { return s == check })
			}
		})
	}
}

// line is the status line of the current phase; p.mu is held.
func (p *progress) line() string {
	elapsed := p.now().Sub(p.since).Truncate(time.Second)
	var b strings.Builder
	b.WriteString("modseal: ")
	switch {
	case p.hashing && p.done < p.total:
		b.WriteString(p.hashCount())
	case p.hashing:
		fmt.Fprintf(&b, "hashed %d/%d modules, %s; ", p.done, p.total, formatBytes(p.bytes))
		p.writeRunning(&b)
	default:
		p.writeRunning(&b)
	}
	if elapsed >= time.Second {
		fmt.Fprintf(&b, " (%s)", elapsed)
	}
	return b.String()
}

func (p *progress) writeRunning(b *strings.Builder) {
	if len(p.runningOrder) == 0 {
		b.WriteString("waiting for the other checks to finish")
		return
	}
	b.WriteString("running: ")
	b.WriteString(strings.Join(p.runningOrder, ", "))
}

func (p *progress) hashCount() string {
	return fmt.Sprintf("hashing modules %d/%d, %s", p.done, p.total, formatBytes(p.bytes))
}

// draw overwrites the status line with the current phase's; p.mu is held.
func (p *progress) draw() { p.write(p.line()) }

// write overwrites the status line with s; p.mu is held.
func (p *progress) write(s string) {
	p.last = p.now()
	fmt.Fprintf(p.w, "\r\x1b[K%s", s)
	p.printed = true
}

// finish stops the redraw and clears the status line.
func (p *progress) finish() {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	p.stopped = true
	if p.stop != nil {
		close(p.stop)
	}
	if p.printed {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
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
