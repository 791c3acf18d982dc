// Package gobuild answers, for the files of one module, the questions go
// mod vendor asks about Go source as the go command (Go 1.26) answers them:
// how far cmd/go/internal/imports reads a file (ReadImports), whether its
// build constraints can hold with any tags (ShouldBuildAnyTags), and which
// files its //go:embed patterns name (EmbedPatterns with go/build,
// ResolveEmbed as cmd/go/internal/load resolves them).
//
// It works on an io/fs.FS and a reader only: it must not use the network,
// run the go command, or write anything. It imports only the standard
// library and golang.org/x/mod.
package gobuild
