package gocmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Git runs "git args..." in dir and returns its standard output. Like the go
// command, git is run only from this package.
func Git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	return GitEnv(ctx, dir, nil, args...)
}

// GitEnv is Git with extra environment variables (KEY=VALUE) added to this
// process's for this one command: a secret passed this way is never on a
// command line nor in this process's environment.
func GitEnv(ctx context.Context, dir string, extra []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	if len(extra) > 0 {
		cmd.Env = append(os.Environ(), extra...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) && ctx.Err() != nil {
			msg = ctx.Err().Error()
		}
		return stdout.Bytes(), fmt.Errorf("git %s: %s", strings.Join(args, " "), msg)
	}
	return stdout.Bytes(), nil
}
