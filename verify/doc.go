// Package verify holds modseal's integrity checks, each a function of
// what it is given, and the findings they report:
//
//   - go.mod, go.work and go.sum as the go command reads them (CheckModFile,
//     CheckWorkFile, ParseSum), versions and pseudo-versions
//     (CheckPseudoVersion, CheckPseudoOrigin), what a module's author says
//     about it (ParseAuthorNotice), and settings that switch verification
//     off (CheckSettings);
//   - h1 hashes of module zips, extracted directories and go.mod files
//     (HashZip, HashDir, HashGoMod), and one module's files against go.sum
//     (CheckModule);
//   - go.sum against a checksum database, through any lookup that proves
//     its answers (SumDB.Check; golang.org/x/mod/sumdb.Client is one);
//   - vendor/ against go.mod or go.work and the verified module zips
//     (CheckVendor);
//   - the one rule catalogue (Rules) and the report model (Finding,
//     Skipped, Report) that every output format renders.
//
// The checks follow the go command and golang.org/x/mod exactly: versions
// and paths are judged by golang.org/x/mod/module, go.mod files are parsed
// by golang.org/x/mod/modfile in strict mode, and go.sum lines are read the
// way cmd/go reads them (whitespace-separated fields, CRLF and a missing
// final newline accepted).
//
// verify imports only the standard library and golang.org/x/mod: it never
// runs the go command (package graph does), never reaches the network (the
// caller's lookup does), and writes no files (a hash Cache is the caller's).
// Files from outside are read with a bound (ReadFileLimited).
package verify
