package audit

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/mod/modfile"

	"github.com/modseal/modseal/graph"
	"github.com/modseal/modseal/verify"
)

// moduleFiles is one module of the audit: its directory relative to Dir.
type moduleFiles struct {
	rel      string        // "." or a slash path relative to Dir
	use      string        // in a workspace, the path relative to go.work's directory
	sumLines int           // lines of go.sum
	modLines int           // lines of go.mod
	mf       *modfile.File // nil if go.mod does not parse
}

// workspace is the go.work of a workspace audit.
type workspace struct {
	rel  string // go.work's directory, "." or a slash path relative to Dir
	name string // go.work's file name
	wf   *modfile.WorkFile
}

// loaded is what an audit reads of the module or workspace before any
// check: go.work, every go.mod and go.sum, read and parsed once. Checks
// only read it.
type loaded struct {
	// refused names a go.sum-format file too large to read: the go
	// command's output about it would be as large, so tidy is not asked.
	refused  string
	work     *workspace // nil outside a workspace
	mods     []moduleFiles
	sums     []*verify.SumFile // go.work.sum first, then each module's go.sum
	requires map[string]requireLoc
	// files holds each file as read, by absolute name, for the snapshot
	// of the drift check (readFile): it describes the bytes checked here.
	files map[string]fileRead
}

type fileRead struct {
	data []byte
	err  error
}

// read reads file as verify.ReadFileLimited does, and keeps what it read.
func (ld *loaded) read(file string) ([]byte, error) {
	data, err := verify.ReadFileLimited(file, verify.MaxSumFileSize)
	if abs, aerr := filepath.Abs(file); aerr == nil {
		ld.files[abs] = fileRead{data, err}
	}
	return data, err
}

// readFile returns what load read of the file name, reading it now if load
// did not (graph.SnapshotOptions.ReadFile).
func (ld *loaded) readFile(name string) ([]byte, error) {
	if abs, err := filepath.Abs(name); err == nil {
		if f, ok := ld.files[abs]; ok {
			return f.data, f.err
		}
	}
	return verify.ReadFileLimited(name, verify.MaxSumFileSize)
}

// load reads and parses the files of the module or workspace in dir. It
// returns their syntax findings, and skips for what it could not read.
func load(env *graph.Env, dir string) (*loaded, []verify.Finding, []verify.Skipped, error) {
	ld := &loaded{requires: make(map[string]requireLoc), files: make(map[string]fileRead)}
	var (
		findings []verify.Finding
		skipped  []verify.Skipped
	)
	readSum := func(name string) (int, error) {
		sf, lines, fs, err := ld.readSum(dir, name)
		findings = append(findings, fs...)
		if sf != nil {
			ld.sums = append(ld.sums, sf)
		}
		return lines, err
	}
	if env.GOWORK != "" && env.GOWORK != "off" {
		rel := relSlash(dir, filepath.Dir(env.GOWORK))
		name := joinRel(rel, filepath.Base(env.GOWORK))
		data, err := ld.read(env.GOWORK)
		if err != nil {
			return nil, nil, nil, err
		}
		wf, fs := verify.CheckWorkFile(name, data)
		findings = append(findings, fs...)
		if wf == nil {
			skipped = append(skipped, verify.Skipped{Check: "workspace", Reason: name + " does not parse, so its modules were not checked"})
		} else {
			ld.work = &workspace{rel: rel, name: filepath.Base(env.GOWORK), wf: wf}
			var useDirs []string
			for _, u := range wf.Use {
				r := joinRel(rel, filepath.ToSlash(u.Path))
				use := filepath.ToSlash(u.Path)
				abs := filepath.Join(filepath.Dir(env.GOWORK), u.Path)
				if filepath.IsAbs(u.Path) {
					abs = u.Path
					r = relSlash(dir, u.Path)
					if p, err := filepath.Rel(filepath.Dir(env.GOWORK), u.Path); err == nil {
						use = filepath.ToSlash(p)
					}
				}
				useDirs = append(useDirs, abs)
				ld.mods = append(ld.mods, moduleFiles{rel: r, use: use})
			}
			if err := checkInWorkspace(dir, env.GOWORK, useDirs); err != nil {
				return nil, nil, nil, err
			}
		}
		if _, err := readSum(joinRel(rel, "go.work.sum")); err != nil {
			return nil, nil, nil, err
		}
	} else {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil, nil, fmt.Errorf("%s has no go.mod: it is not a Go module (run modseal in a module directory, or go mod init first)", dir)
			}
			return nil, nil, nil, err
		}
		ld.mods = append(ld.mods, moduleFiles{rel: "."})
	}
	for i := range ld.mods {
		m := &ld.mods[i]
		name := joinRel(m.rel, "go.mod")
		data, err := ld.read(filepath.Join(dir, filepath.FromSlash(name)))
		if errors.Is(err, fs.ErrNotExist) && ld.work != nil {
			return nil, nil, nil, fmt.Errorf("%s uses %s, which has no go.mod: the go command cannot load this workspace either "+
				"(\"cannot load module %s listed in go.work file\"); fix %s, or audit the module on its own with GOWORK=off",
				joinRel(ld.work.rel, ld.work.name), m.use, m.use, joinRel(ld.work.rel, ld.work.name))
		}
		if err != nil {
			return nil, nil, nil, err
		}
		mf, fs := verify.CheckModFile(name, data)
		findings = append(findings, fs...)
		m.mf, m.modLines = mf, countLines(data)
		if mf != nil && mf.Module != nil {
			for _, r := range mf.Require {
				if _, ok := ld.requires[r.Mod.Path]; !ok {
					ld.requires[r.Mod.Path] = requireLoc{name, lineOf(r.Syntax)}
				}
			}
		}
		if m.sumLines, err = readSum(joinRel(m.rel, "go.sum")); err != nil {
			return nil, nil, nil, err
		}
	}
	return ld, findings, skipped, nil
}

// readSum parses the go.sum-format file name (relative to dir); a file that
// does not exist is parsed as empty, one too large is refused unread (an
// empty file and a finding). lines counts the file's lines.
func (ld *loaded) readSum(dir, name string) (sf *verify.SumFile, lines int, findings []verify.Finding, err error) {
	data, err := ld.read(filepath.Join(dir, filepath.FromSlash(name)))
	if _, ok := errors.AsType[*verify.FileTooLargeError](err); ok {
		// Refused, not parsed: one clear finding, never an out-of-memory.
		ld.refused = name
		return &verify.SumFile{Name: name}, 0, []verify.Finding{verify.NewFinding(verify.RuleGoSumSyntax, name, 0,
			"%s is larger than %d MiB: refused unread (no go command writes such a file)", name, verify.MaxSumFileSize>>20)}, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil, err
	}
	sf, findings = verify.ParseSum(name, data)
	return sf, countLines(data), findings, nil
}

// countLines counts the lines of data, a last line without a newline
// included.
func countLines(data []byte) int {
	n := 0
	for range bytes.Lines(data) {
		n++
	}
	return n
}

// checkInWorkspace refuses, as the go command does, a directory inside a
// module that go.work does not use: the go command would not build it, and
// auditing the workspace instead would read none of that module's files.
func checkInWorkspace(dir, gowork string, useDirs []string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	top := filepath.Dir(gowork)
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			for _, u := range useDirs {
				if ua, err := filepath.Abs(u); err == nil && ua == d {
					return nil
				}
			}
			return fmt.Errorf("%s is inside the module at %s, which %s does not use: the go command refuses to build there "+
				"(\"current directory is contained in a module that is not one of the workspace modules listed in go.work\"); "+
				"add it with go work use, or audit it on its own with GOWORK=off", dir, d, gowork)
		}
		if d == top || d == filepath.Dir(d) {
			return nil // in the workspace, outside any module: the go command accepts that
		}
	}
}
