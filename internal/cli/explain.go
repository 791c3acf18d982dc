package cli

import (
	"context"
	"io"
)

// runExplain is modseal explain.
func runExplain(ctx context.Context, args []string, stdout, stderr io.Writer, e env) error {
	return usageErr("modseal explain: not built yet")
}
