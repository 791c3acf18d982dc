package cli

import (
	"context"
	"fmt"
	"io"
)

// runPRComment implements "modseal pr-comment", which the GitHub Action uses
// to post or update its pull-request comment.
func runPRComment(ctx context.Context, args []string, stdout, stderr io.Writer, e env) error {
	return &exitError{ExitFailure, fmt.Errorf("pr-comment is not built yet in this version of modseal (%s)", versionString())}
}
