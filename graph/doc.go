// Package graph is what the go command says about a module or workspace.
// The go command is the authority on module semantics; this package never
// re-implements minimal version selection. A Command runs it, read-only (see
// commandEnv), for one directory, and answers:
//
//   - Env: the go command's environment ("go env -json");
//   - BuildList and Edges: the build list ("go list -m -json all") and the
//     requirement graph ("go mod graph"), and Digest of the graph;
//   - Tidy, ListMissing and WorkSumMissing: the go.sum (and go.work.sum)
//     lines go mod tidy would add or drop, as SumEdits, and TidyFindings;
//   - Snapshot: the canonical record of the graph (.modseal/graph.json),
//     with the modules providing packages per platform; Marshal,
//     ParseSnapshot and Drift compare two of them.
//
// Refusals reads the standard error of a go command that refused the
// files: which reasons a modseal rule names, and which lines it does not.
package graph
