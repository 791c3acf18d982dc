package cli

import (
	"context"
	"io"
)

// runRelease is modseal release.
func runRelease(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, e env) error {
	return usageErr("modseal release: not built yet")
}
