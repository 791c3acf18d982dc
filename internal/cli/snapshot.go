package cli

import (
	"context"
	"fmt"
	"io"
)

// runSnapshot implements "modseal snapshot".
func runSnapshot(ctx context.Context, args []string, stdout, stderr io.Writer, e env) error {
	return &exitError{ExitFailure, fmt.Errorf("snapshot is not built yet in this version of modseal (%s)", versionString())}
}

// runDiff implements "modseal diff".
func runDiff(ctx context.Context, args []string, stdout, stderr io.Writer, e env) error {
	return &exitError{ExitFailure, fmt.Errorf("diff is not built yet in this version of modseal (%s)", versionString())}
}
