package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// A Module is one entry of "go list -m -json all".
type Module struct {
	Path      string
	Version   string
	Replace   *Module
	Main      bool
	Indirect  bool
	Dir       string
	GoMod     string
	GoVersion string
	Error     *ModuleError
}

// A ModuleError is the error go list reports for a module it could not
// load (the "Error" object of go list -m -json).
type ModuleError struct {
	Err string
}

func (e *ModuleError) Error() string { return e.Err }

// BuildList returns the selected build list ("go list -m -json all"),
// main module(s) first, in the go command's order.
func (g *Command) BuildList(ctx context.Context) ([]Module, error) {
	out, err := g.run(ctx, "", "list", "-m", "-json", "all")
	if err != nil {
		return nil, err
	}
	var mods []Module
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var m Module
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("go list -m -json all: %v", err)
		}
		mods = append(mods, m)
	}
	return mods, nil
}

// Edges returns the lines of "go mod graph", sorted bytewise.
func (g *Command) Edges(ctx context.Context) ([]string, error) {
	out, err := g.run(ctx, "", "mod", "graph")
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		lines = nil
	}
	slices.Sort(lines)
	return lines, nil
}

// Digest returns "sha256:" and the hex SHA-256 of sorted "go mod graph"
// lines, each ending in "\n": the same as
// go mod graph | LC_ALL=C sort | sha256sum.
func Digest(sortedEdges []string) string {
	h := sha256.New()
	for _, l := range sortedEdges {
		io.WriteString(h, l)
		io.WriteString(h, "\n")
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
