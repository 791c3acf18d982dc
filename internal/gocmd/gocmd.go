// Package gocmd is the one place modseal runs the go command.
package gocmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// Cmd runs the go command with a fixed environment.
type Cmd struct {
	Go  string   // the go binary; "" means "go" found on PATH
	Env []string // the complete environment, KEY=VALUE
}

// An Error is a go command that failed. Stdout holds what it printed there
// (some commands, like go mod tidy -diff, exit 1 with a useful answer).
type Error struct {
	Args     []string
	Dir      string
	ExitCode int // -1 if the command did not run or was killed
	Stdout   []byte
	Stderr   string
	Err      error
}

func (e *Error) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("go %s (in %s): %s", strings.Join(e.Args, " "), e.Dir, msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Run runs "go args..." in dir and returns its standard output.
// A non-zero exit is an *Error that carries stdout and stderr.
func (c *Cmd) Run(ctx context.Context, dir string, args ...string) ([]byte, error) {
	bin := c.Go
	if bin == "" {
		bin = "go"
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = c.Env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		code := -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return stdout.Bytes(), &Error{Args: args, Dir: dir, ExitCode: code, Stdout: stdout.Bytes(), Stderr: stderr.String(), Err: err}
	}
	return stdout.Bytes(), nil
}

// Setenv returns env with key set to value, replacing any earlier entries.
func Setenv(env []string, key, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != key {
			out = append(out, kv)
		}
	}
	return append(out, key+"="+value)
}

// Getenv returns the last value of key in env.
func Getenv(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}
