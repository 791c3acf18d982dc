package cli

import (
	"context"
	"fmt"
	"io"
)

// runHook implements "modseal hook install|uninstall".
func runHook(ctx context.Context, args []string, stdout, stderr io.Writer, e env) error {
	return &exitError{ExitFailure, fmt.Errorf("hook is not built yet in this version of modseal (%s)", versionString())}
}
