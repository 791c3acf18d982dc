package audit

import (
	"context"

	"github.com/modseal/modseal/verify"
)

// explainMismatches adds to each hash-mismatch and sumdb-mismatch finding
// of res the one-line verdict of modseal explain.
func (r *run) explainMismatches(ctx context.Context, res *verify.Report) {}
