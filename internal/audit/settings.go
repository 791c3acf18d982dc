package audit

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/modseal/modseal/graph"
	"github.com/modseal/modseal/internal/envscan"
	"github.com/modseal/modseal/internal/gitrev"
	"github.com/modseal/modseal/verify"
)

// settingsFindings reports the insecure settings the go command has for
// the audit of dir run with environ (env is its "go env"), and those the
// repository's files set, each once, where it is set:
//
//   - a setting environ gives a value is the environment's: its finding
//     has no file (the reports place it on go.mod), as is one whose origin
//     is neither environ nor the go env file (GOROOT/go.env);
//   - a setting only the go env file (GOENV; go env -w) gives a value is
//     reported at that file's line, the line the go command reads (the
//     last of its name), not as the environment's. That file is outside
//     the repository as a rule: then the finding has no file either (SARIF
//     and GitHub annotations must point into the repository) and its
//     message names the file and line. A line environ overrides is still
//     reported: it applies wherever environ does not set the variable;
//   - every assignment in the repository's workflows, Dockerfiles,
//     Makefiles and .envrc files (envscan.Find) is reported at its file,
//     relative to dir (../ above it), and line.
//
// GONOSUMDB that only inherits GOPRIVATE's value is GOPRIVATE's finding.
// A repository too large to scan whole (envscan.Find's bounds) is said in
// the skipped entry returned.
func settingsFindings(ctx context.Context, env *graph.Env, dir string, environ []string) ([]verify.Finding, []verify.Skipped) {
	osEnv := make(map[string]string)
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			osEnv[k] = v
		}
	}
	ge := readGoEnvFile(osEnv, dir)
	out := environmentSettings(env, osEnv, ge)
	real, err := realDir(dir)
	if err != nil {
		return out, nil
	}
	t := envscan.Tree{Dir: real, Modules: workspaceModules(env)}
	if top, err := gitrev.Top(ctx, real); err == nil {
		t.Top = top
	}
	fs, complete := fileSettings(t, ge)
	out = append(out, fs...)
	var skipped []verify.Skipped
	if !complete {
		skipped = append(skipped, verify.Skipped{Check: "insecure-setting", Reason: fmt.Sprintf("the repository has more files than modseal scans for settings (%d workflows, Dockerfiles, Makefiles and .envrc files, or %d directory entries): the rest were not read", envscan.MaxFiles, envscan.MaxEntries)})
	}
	return append(out, ge.findings(t)...), skipped
}

// environmentSettings judges the settings of the go command's
// environment env, but those the go env file ge gives.
func environmentSettings(env *graph.Env, osEnv map[string]string, ge *goEnvFile) []verify.Finding {
	set := func(name string) bool { return osEnv[name] != "" || ge.sets[name].Value != "" }
	var out []verify.Finding
	for _, s := range []struct{ name, value string }{
		{"GOSUMDB", env.GOSUMDB}, {"GONOSUMDB", env.GONOSUMDB}, {"GOPRIVATE", env.GOPRIVATE},
		{"GOINSECURE", env.GOINSECURE}, {"GOFLAGS", env.GOFLAGS}, {"GOPROXY", env.GOPROXY},
	} {
		if osEnv[s.name] == "" {
			if ge.sets[s.name].Value != "" {
				continue // the go env file's
			}
			if s.name == "GONOSUMDB" && s.value == env.GOPRIVATE && set("GOPRIVATE") {
				continue // GOPRIVATE's value
			}
		}
		out = append(out, verify.CheckSettings(verify.Settings{s.name: s.value})...)
	}
	// Variables the go command does not know, which go env leaves out.
	others := make(verify.Settings)
	for k, v := range osEnv {
		if strings.HasPrefix(k, "GO") {
			others[k] = v
		}
	}
	for _, name := range []string{"GOSUMDB", "GONOSUMDB", "GOPRIVATE", "GOINSECURE", "GOFLAGS", "GOPROXY"} {
		delete(others, name)
	}
	return append(out, verify.CheckSettings(others)...)
}

// fileSettings judges every GO assignment of the files of t, but the go
// env file; complete is false when envscan.Find stopped at its bounds.
func fileSettings(t envscan.Tree, ge *goEnvFile) (out []verify.Finding, complete bool) {
	files, complete := envscan.Find(t)
	for _, f := range files {
		if ge.real != "" && f.Path == ge.real {
			continue // the go env file's findings say so
		}
		data, err := verify.ReadFileLimited(f.Path, envscan.MaxFileSize)
		if err != nil {
			continue
		}
		for _, a := range envscan.Scan(f.Kind, data) {
			if !strings.HasPrefix(a.Name, "GO") {
				continue
			}
			v, _ := a.Known()
			for _, fd := range verify.CheckSettings(verify.Settings{a.Name: v}) {
				fd.File, fd.Line = f.Rel, a.Line
				out = append(out, fd)
			}
		}
	}
	return out, complete
}

// A goEnvFile is the go command's environment file, as go env -w writes it.
type goEnvFile struct {
	name string // as the go command finds it; "" for none
	real string // name with symbolic links resolved
	data []byte
	// sets holds the line the go command reads for each variable the
	// file gives a value (the last line of that name, if not empty).
	sets map[string]envscan.Assignment
}

// readGoEnvFile reads the go env file the go command reads with the
// environment osEnv in dir. A file that cannot be read sets nothing.
func readGoEnvFile(osEnv map[string]string, dir string) *goEnvFile {
	ge := &goEnvFile{name: goEnvFileName(osEnv), sets: make(map[string]envscan.Assignment)}
	if ge.name == "" {
		return ge
	}
	if !filepath.IsAbs(ge.name) {
		ge.name = filepath.Join(dir, ge.name) // the go command runs in dir
	}
	data, err := verify.ReadFileLimited(ge.name, envscan.MaxFileSize)
	if err != nil {
		return ge
	}
	ge.data = data
	ge.real, _ = filepath.EvalSymlinks(ge.name)
	for _, a := range envscan.Scan(envscan.GoEnv, data) {
		if a.Value == "" {
			delete(ge.sets, a.Name) // the go command's Getenv reads "" as unset
		} else {
			ge.sets[a.Name] = a
		}
	}
	return ge
}

// findings judges the lines the go command reads. Inside t's repository
// they are at the file and line; outside, the message says where.
func (ge *goEnvFile) findings(t envscan.Tree) []verify.Finding {
	if ge.data == nil {
		return nil
	}
	rel := ""
	root := t.Top
	if root == "" {
		root = t.Dir
	}
	if ge.real != "" && isBelow(root, ge.real) {
		if r, err := filepath.Rel(t.Dir, ge.real); err == nil {
			rel = filepath.ToSlash(r)
		}
	}
	var out []verify.Finding
	for _, a := range envscan.Scan(envscan.GoEnv, ge.data) {
		if ge.sets[a.Name] != a {
			continue
		}
		for _, fd := range verify.CheckSettings(verify.Settings{a.Name: a.Value}) {
			if rel != "" {
				fd.File, fd.Line = rel, a.Line
			} else {
				fd.Message = fmt.Sprintf("go env file %s:%d: %s (go env -u %s removes it)", ge.name, a.Line, fd.Message, a.Name)
			}
			out = append(out, fd)
		}
	}
	return out
}

// isBelow reports whether p is inside dir.
func isBelow(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && filepath.IsLocal(rel)
}

// realDir is dir, absolute, with symbolic links resolved.
func realDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// workspaceModules returns the real directories of the modules env's
// go.work uses, if any.
func workspaceModules(env *graph.Env) []string {
	if env.GOWORK == "" || env.GOWORK == "off" {
		return nil
	}
	data, err := verify.ReadFileLimited(env.GOWORK, verify.MaxSumFileSize)
	if err != nil {
		return nil
	}
	wf, err := modfile.ParseWork(env.GOWORK, data, nil)
	if err != nil {
		return nil
	}
	var dirs []string
	for _, u := range wf.Use {
		d := u.Path
		if !filepath.IsAbs(d) {
			d = filepath.Join(filepath.Dir(env.GOWORK), d)
		}
		if r, err := filepath.EvalSymlinks(d); err == nil {
			dirs = append(dirs, r)
		}
	}
	return dirs
}

// goEnvFileName returns the go env file the go command reads with the
// environment osEnv, as cmd/go's cfg.EnvFile finds it: GOENV ("off" for
// none), else go/env in the user's configuration directory
// (os.UserConfigDir, computed from osEnv). "" means none.
func goEnvFileName(osEnv map[string]string) string {
	if f := osEnv["GOENV"]; f != "" {
		if f == "off" {
			return ""
		}
		return f
	}
	dir, err := userConfigDir(osEnv)
	if err != nil || dir == "" {
		return ""
	}
	return filepath.Join(dir, "go", "env")
}

// userConfigDir is os.UserConfigDir for the environment osEnv.
func userConfigDir(osEnv map[string]string) (string, error) {
	switch runtime.GOOS {
	case "windows":
		if d := osEnv["AppData"]; d != "" {
			return d, nil
		}
		if d := osEnv["APPDATA"]; d != "" {
			return d, nil
		}
		return "", errors.New("%AppData% is not defined")
	case "darwin", "ios":
		if h := osEnv["HOME"]; h != "" {
			return filepath.Join(h, "Library", "Application Support"), nil
		}
		return "", errors.New("$HOME is not defined")
	case "plan9":
		if h := osEnv["home"]; h != "" {
			return filepath.Join(h, "lib"), nil
		}
		return "", errors.New("$home is not defined")
	}
	if d := osEnv["XDG_CONFIG_HOME"]; d != "" {
		if !filepath.IsAbs(d) {
			return "", errors.New("path in $XDG_CONFIG_HOME is relative")
		}
		return d, nil
	}
	if h := osEnv["HOME"]; h != "" {
		return filepath.Join(h, ".config"), nil
	}
	return "", errors.New("neither $XDG_CONFIG_HOME nor $HOME are defined")
}
