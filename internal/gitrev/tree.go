package gitrev

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/modseal/modseal/internal/gocmd"
	"github.com/modseal/modseal/verify"
)

// A Checkout is the module files of a git revision, written to a temporary
// directory: the Go files and the go.mod, go.sum, go.work, go.work.sum and
// vendor/modules.txt files the go command reads to compute the module
// graph and list packages. Close removes it.
type Checkout struct {
	// Dir is the directory that stands for the one given to Materialise.
	Dir string
	// GOWORK is the value of GOWORK for the go command run in Dir: "off",
	// or a go.work file (inside the checkout, or the user's own when it is
	// outside the repository).
	GOWORK string
	// Commit is the id of the commit materialised.
	Commit string

	tmp string
}

// Close removes the checkout's temporary directory.
func (c *Checkout) Close() error { return os.RemoveAll(c.tmp) }

// Materialise writes the module files of dir as they are at the git
// revision rev to a temporary directory. gowork is the user's GOWORK ("" if
// unset).
//
// The files are those below the directory that roots the graph at rev (the
// go.work directory the go command would find, GOWORK permitting, else the
// module's). A workspace module or a directory replacement outside that
// directory is materialised too when it is in the repository; one outside
// the repository is not, and the go command reports it missing.
//
// The files come from git archive, and every one is checked against the
// blob id git ls-tree lists for it: a file the repository's export-ignore or
// export-subst attributes dropped or rewrote is read again with git
// cat-file, so the checkout is exactly what was committed. Symbolic links
// and submodules are left out.
func Materialise(ctx context.Context, dir, rev, gowork string) (_ *Checkout, err error) {
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if absDir, err = filepath.EvalSymlinks(absDir); err != nil {
		return nil, err
	}
	top, err := Top(ctx, absDir)
	if nr := (*NotRepositoryError)(nil); errors.As(err, &nr) {
		return nil, &NotRepositoryError{Dir: dir, Err: nr.Err}
	} else if err != nil {
		return nil, err
	}
	commit, err := Commit(ctx, top, rev)
	if err != nil {
		return nil, err
	}
	dirRel, ok := Rel(top, absDir)
	if !ok {
		return nil, fmt.Errorf("%s is outside the repository %s", dir, top)
	}
	tree, err := listTree(ctx, top, commit)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "modseal-base-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()

	// The root of the graph at rev: the go.work the go command would find
	// (GOWORK permitting), else the nearest go.mod.
	work := "off"
	root := ""
	switch {
	case gowork == "off":
	case gowork != "" && filepath.IsAbs(gowork):
		if rel, ok := Rel(top, gowork); ok {
			if _, ok := tree.files[rel]; ok {
				work, root = rel, path.Dir(rel)
			}
		} else {
			work = gowork // outside the repository: the same file for both graphs
		}
	default:
		if w := tree.nearest(dirRel, "go.work"); w != "" {
			work, root = w, path.Dir(w)
		}
	}
	if root == "" {
		m := tree.nearest(dirRel, "go.mod")
		if m == "" {
			return nil, fmt.Errorf("no go.mod in %s or above at %s", dirRel, rev)
		}
		root = path.Dir(m)
	}
	if err := tree.materialise(ctx, tmp, []string{root}); err != nil {
		return nil, err
	}
	// Workspace modules and directory replacements outside root, until
	// there are no more (a workspace module's go.mod names replacements).
	done := []string{root}
	for range 8 {
		extra, err := localDirs(tmp, root, work)
		if err != nil {
			return nil, err
		}
		var more []string
		for _, d := range extra {
			if !slices.ContainsFunc(done, func(r string) bool { return Under(d, r) }) {
				more = append(more, d)
				done = append(done, d)
			}
		}
		if len(more) == 0 {
			break
		}
		if err := tree.materialise(ctx, tmp, more); err != nil {
			return nil, err
		}
	}
	if work != "off" && !filepath.IsAbs(work) {
		work = filepath.Join(tmp, filepath.FromSlash(work))
	}
	baseDir := filepath.Join(tmp, filepath.FromSlash(dirRel))
	if fi, err := os.Stat(baseDir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%s holds no Go module files at %s", dirRel, rev)
	}
	return &Checkout{Dir: baseDir, GOWORK: work, Commit: commit, tmp: tmp}, nil
}

// Rel returns target relative to the directory top, slash-separated, if it
// is top or inside it.
func Rel(top, target string) (string, bool) {
	r, err := filepath.Rel(top, target)
	if err != nil || !filepath.IsLocal(r) && r != "." {
		return "", false
	}
	return filepath.ToSlash(r), true
}

// Under reports whether the slash path p is dir or below it.
func Under(p, dir string) bool {
	return dir == "." || p == dir || strings.HasPrefix(p, dir+"/")
}

// tree is the listing of the regular files of a commit.
type tree struct {
	top    string
	commit string
	files  map[string]string // slash path from the top -> blob id
}

func listTree(ctx context.Context, top, commit string) (*tree, error) {
	out, err := gocmd.Git(ctx, top, "ls-tree", "-r", "-z", "--full-tree", commit)
	if err != nil {
		return nil, err
	}
	t := &tree{top: top, commit: commit, files: make(map[string]string)}
	for _, rec := range bytes.Split(out, []byte{0}) {
		meta, name, ok := bytes.Cut(rec, []byte{'\t'})
		if !ok {
			continue
		}
		f := strings.Fields(string(meta))
		// Regular files only: no symbolic links (120000), no submodules.
		if len(f) != 3 || f[1] != "blob" || (f[0] != "100644" && f[0] != "100755") {
			continue
		}
		t.files[string(name)] = f[2]
	}
	return t, nil
}

// nearest returns the file named name in dir or the closest directory above
// it, "" if there is none.
func (t *tree) nearest(dir, name string) string {
	for {
		p := path.Join(dir, name)
		if _, ok := t.files[p]; ok {
			return p
		}
		if dir == "." || dir == "/" || dir == "" {
			return ""
		}
		dir = path.Dir(dir)
	}
}

// moduleFileNames are the files besides *.go the go command reads to list packages.
var moduleFileNames = []string{"go.mod", "go.sum", "go.work", "go.work.sum", "modules.txt"}

func wanted(p string) bool {
	base := path.Base(p)
	if base == "modules.txt" {
		return path.Base(path.Dir(p)) == "vendor"
	}
	return strings.HasSuffix(base, ".go") || slices.Contains(moduleFileNames, base)
}

// materialise writes the wanted files below dirs, as committed, under dst.
func (t *tree) materialise(ctx context.Context, dst string, dirs []string) error {
	type file struct{ name, id string }
	var files []file
	globs := make(map[string]bool)
	for name, id := range t.files {
		for _, d := range dirs {
			if Under(name, d) && wanted(name) {
				files = append(files, file{name, id})
				prefix := ""
				if d != "." {
					prefix = d + "/"
				}
				pattern := path.Base(name)
				if strings.HasSuffix(pattern, ".go") {
					pattern = "*.go"
				}
				globs[":(glob)"+prefix+"**/"+pattern] = true
				break
			}
		}
	}
	if len(files) == 0 {
		return nil
	}
	args := append([]string{"archive", "--format=tar", t.commit, "--"}, slices.Sorted(maps.Keys(globs))...)
	out, err := gocmd.Git(ctx, t.top, args...)
	if err != nil {
		return err
	}
	archived := make(map[string][]byte)
	tr := tar.NewReader(bytes.NewReader(out))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("git archive: %v", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return fmt.Errorf("git archive: %v", err)
		}
		archived[h.Name] = data
	}
	for _, f := range files {
		if !filepath.IsLocal(filepath.FromSlash(f.name)) {
			return fmt.Errorf("git ls-tree: unexpected path %q", f.name)
		}
		data, ok := archived[f.name]
		if !ok || blobID(data, len(f.id)) != f.id {
			// Dropped (export-ignore) or rewritten (export-subst) by the
			// repository's attributes: the blob as committed.
			if data, err = gocmd.Git(ctx, t.top, "cat-file", "blob", f.id); err != nil {
				return err
			}
		}
		p := filepath.Join(dst, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o666); err != nil {
			return err
		}
	}
	return nil
}

// blobID is git's object id of a blob: SHA-1, or SHA-256 in a repository of
// that object format (64 hex digits).
func blobID(data []byte, idLen int) string {
	var h hash.Hash = sha1.New()
	if idLen == 64 {
		h = sha256.New()
	}
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// localDirs returns the slash directories, relative to the repository top,
// of the workspace's modules and of the directory replacements of the main
// modules and the workspace, as materialised below tmp.
func localDirs(tmp, root, gowork string) ([]string, error) {
	var mods []string // module directories, slash, from the top
	var dirs []string
	add := func(base, p string) {
		if filepath.IsAbs(p) {
			return
		}
		d := path.Clean(path.Join(base, filepath.ToSlash(p)))
		if d == ".." || strings.HasPrefix(d, "../") {
			return // outside the repository
		}
		dirs = append(dirs, d)
	}
	if gowork != "off" && !filepath.IsAbs(gowork) {
		data, err := verify.ReadFileLimited(filepath.Join(tmp, filepath.FromSlash(gowork)), verify.MaxSumFileSize)
		if err != nil {
			return nil, err
		}
		wf, err := modfile.ParseWork(gowork, data, nil)
		if err != nil {
			return nil, err
		}
		base := path.Dir(gowork)
		for _, u := range wf.Use {
			add(base, u.Path)
		}
		mods = append(mods, dirs...)
		for _, r := range wf.Replace {
			if r.New.Version == "" {
				add(base, r.New.Path)
			}
		}
	} else {
		mods = append(mods, root)
	}
	for _, m := range mods {
		data, err := verify.ReadFileLimited(filepath.Join(tmp, filepath.FromSlash(m), "go.mod"), verify.MaxSumFileSize)
		if errors.Is(err, fs.ErrNotExist) {
			continue // materialised later, or missing: the go command says so
		}
		if err != nil {
			return nil, err
		}
		// Parse, not ParseLax: ParseLax drops replace directives (it is for
		// dependencies' go.mod files), and these are main modules. A go.mod
		// that does not parse names no directory; the go command says what
		// is wrong with it.
		mf, err := modfile.Parse(path.Join(m, "go.mod"), data, nil)
		if err != nil {
			continue
		}
		for _, r := range mf.Replace {
			if r.New.Version == "" {
				add(m, r.New.Path)
			}
		}
	}
	return dirs, nil
}
