package cli

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// lastLine is what a terminal shows of the self-overwriting status line.
func lastLine(out string) string {
	i := strings.LastIndex(out, "\r\x1b[K")
	if i < 0 {
		return out
	}
	return out[i+len("\r\x1b[K"):]
}

// A fake clock: each test moves it by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newTestProgress() (*progress, *bytes.Buffer, *clock) {
	var buf bytes.Buffer
	c := &clock{t: time.Unix(1e9, 0)}
	p := &progress{w: &buf, now: c.now} // tick 0: redrawn by hand
	p.start()
	return p, &buf, c
}

// The status line names its phase: hashing with a count, then, the moment
// the last hash is checked, the checks still running, with the phase's
// elapsed time when it is redrawn; it never stays at "N/N" unexplained.
func TestProgressPhases(t *testing.T) {
	p, buf, c := newTestProgress()
	endTidy := p.begin("go mod tidy")
	endSumDB := p.begin("checksum database")
	p.update(1, 3, 100)
	if got, want := lastLine(buf.String()), "modseal: hashing modules 1/3, 100 B"; got != want {
		t.Errorf("while hashing: %q, want %q", got, want)
	}
	c.add(time.Second)
	p.update(3, 3, 4096)
	out := buf.String()
	if !strings.Contains(out, "modseal: hashing modules 3/3, 4.0 KiB") {
		t.Errorf("the final count is not drawn: %q", out)
	}
	if got, want := lastLine(out), "modseal: hashed 3/3 modules, 4.0 KiB; running: go mod tidy, checksum database"; got != want {
		t.Errorf("after hashing: %q, want %q", got, want)
	}
	endTidy()
	endTidy() // idempotent
	c.add(2500 * time.Millisecond)
	p.mu.Lock()
	p.draw()
	p.mu.Unlock()
	if got, want := lastLine(buf.String()), "modseal: hashed 3/3 modules, 4.0 KiB; running: checksum database (2s)"; got != want {
		t.Errorf("redrawn: %q, want %q", got, want)
	}
	endSumDB()
	p.mu.Lock()
	p.draw()
	p.mu.Unlock()
	if got, want := lastLine(buf.String()), "modseal: hashed 3/3 modules, 4.0 KiB; waiting for the other checks to finish (2s)"; got != want {
		t.Errorf("nothing named: %q, want %q", got, want)
	}
	p.finish()
	if !strings.HasSuffix(buf.String(), "\r\x1b[K") {
		t.Errorf("finish does not clear the line: %q", buf.String())
	}
	n := buf.Len()
	p.update(3, 3, 4096)
	p.finish()
	if buf.Len() != n {
		t.Errorf("drawn after finish: %q", buf.String()[n:])
	}
}

// With the real clock, the line is redrawn every tick while nothing
// reports, and the redraw stops with finish.
func TestProgressTicks(t *testing.T) {
	var buf syncBuffer
	p := &progress{w: &buf, tick: 10 * time.Millisecond, now: time.Now}
	p.start()
	end := p.begin("build list")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(buf.String(), "running: build list") {
		if time.Now().After(deadline) {
			t.Fatalf("no redraw in 10s: %q", buf.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	end()
	p.finish()
	n := len(buf.String())
	time.Sleep(50 * time.Millisecond)
	if got := buf.String(); len(got) != n {
		t.Errorf("redrawn after finish: %q", got[n:])
	}
}

// Off (not a terminal), progress writes nothing and its methods are safe.
func TestProgressOff(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, "never", nil)
	p.begin("x")()
	p.update(1, 1, 1)
	p.finish()
	var nilp *progress
	nilp.update(1, 1, 1)
	nilp.begin("x")()
	nilp.finish()
	if buf.Len() != 0 {
		t.Errorf("wrote %q", buf.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
