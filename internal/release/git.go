package release

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"

	"github.com/modseal/modseal/internal/gitrev"
	"github.com/modseal/modseal/internal/gocmd"
	"github.com/modseal/modseal/verify"
)

// A Tag is a git tag and the commit it names (an annotated tag peeled).
type Tag struct {
	Name   string // without refs/tags/
	Commit string
}

// ListTags returns the tags of the repository at top that name a commit
// (directly, or through an annotated tag), in git's order (by name).
// Tags of trees or blobs are left out: they are no version.
func ListTags(ctx context.Context, top string) ([]Tag, error) {
	out, err := gocmd.Git(ctx, top, "for-each-ref",
		"--format=%(refname)%00%(objectname)%00%(objecttype)%00%(*objectname)%00%(*objecttype)", "refs/tags/")
	if err != nil {
		return nil, err
	}
	var tags []Tag
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, "\x00")
		if len(f) != 5 || !strings.HasPrefix(f[0], "refs/tags/") {
			continue
		}
		t := Tag{Name: strings.TrimPrefix(f[0], "refs/tags/")}
		switch {
		case f[2] == "commit":
			t.Commit = f[1]
		case f[2] == "tag" && f[4] == "commit":
			t.Commit = f[3]
		case f[2] == "tag":
			// A tag of a tag: let git peel it.
			c, err := gitrev.Commit(ctx, top, f[1])
			if err != nil {
				continue
			}
			t.Commit = c
		default:
			continue
		}
		tags = append(tags, t)
	}
	return tags, nil
}

// Reader returns the ReadFunc of commit in the repository at top.
func Reader(ctx context.Context, top, commit string) ReadFunc {
	return func(name string) ([]byte, error) {
		return gitrev.ReadFile(ctx, top, commit, name)
	}
}

// Hashes are the h1 hashes of a module version built from a commit, as the
// go command would build it.
type Hashes struct {
	Zip   string // the module zip's
	GoMod string // the go.mod's
}

// Build builds the module zip of r (a Release) from commit in the
// repository at top, as the go command builds it (golang.org/x/mod/zip's
// CreateFromVCS: git archive of the module's directory, the repository's
// LICENSE added when the directory has none, nested modules and vendor
// directories left out), and returns its hash and that of r.GoMod.
func Build(ctx context.Context, top, commit, modPath string, r Resolved) (Hashes, error) {
	m := module.Version{Path: modPath, Version: r.Version}
	f, err := os.CreateTemp("", "modseal-release-*.zip")
	if err != nil {
		return Hashes{}, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	err = modzip.CreateFromVCS(f, m, top, commit, r.Dir)
	var unrecognized *modzip.UnrecognizedVCSError
	if errors.As(err, &unrecognized) {
		// CreateFromVCS wants top/.git to be the git directory; a linked
		// worktree or a submodule has a .git file instead.
		if _, serr := f.Seek(0, io.SeekStart); serr != nil {
			return Hashes{}, serr
		}
		if terr := f.Truncate(0); terr != nil {
			return Hashes{}, terr
		}
		err = createFromGit(ctx, f, m, top, commit, r.Dir)
	}
	if err != nil {
		return Hashes{}, fmt.Errorf("%s: building the module zip from commit %s: %v", m, short(commit), err)
	}
	if err := f.Close(); err != nil {
		return Hashes{}, err
	}
	_, zh, err := verify.HashZip(f.Name())
	if err != nil {
		return Hashes{}, fmt.Errorf("%s: hashing the module zip built from commit %s: %v", m, short(commit), err)
	}
	gh, err := verify.HashGoMod(r.GoMod)
	if err != nil {
		return Hashes{}, err
	}
	if ctx.Err() != nil {
		return Hashes{}, ctx.Err()
	}
	return Hashes{Zip: zh, GoMod: gh}, nil
}

// createFromGit is modzip.CreateFromVCS for a repository whose git
// directory is not top/.git: the same git archive (line endings as
// committed), the same files (those of subdir), the repository's LICENSE
// when subdir has none, then modzip.Create, which leaves out what the go
// command leaves out.
func createFromGit(ctx context.Context, w io.Writer, m module.Version, top, commit, subdir string) error {
	args := []string{"-c", "core.autocrlf=input", "-c", "core.eol=lf", "archive", "--format=zip", "--end-of-options", commit}
	if subdir != "" {
		args = append(args, "./"+subdir) // "./": never an option
	}
	out, err := gocmd.Git(ctx, top, args...)
	if err != nil {
		return err
	}
	zr, err := zip.NewReader(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		return err
	}
	prefix := ""
	if subdir != "" {
		prefix = subdir + "/"
	}
	var files []modzip.File
	haveLICENSE := false
	for _, zf := range zr.File {
		name, ok := strings.CutPrefix(zf.Name, prefix)
		if !ok || name == "" || strings.HasSuffix(name, "/") {
			continue
		}
		files = append(files, zipFile{name: name, f: zf})
		if name == "LICENSE" {
			haveLICENSE = true
		}
	}
	if !haveLICENSE && subdir != "" {
		if data, err := gitrev.ReadFile(ctx, top, commit, "LICENSE"); err == nil {
			files = append(files, dataFile{name: "LICENSE", data: data})
		}
	}
	return modzip.Create(w, m, files)
}

type zipFile struct {
	name string
	f    *zip.File
}

func (f zipFile) Path() string                 { return f.name }
func (f zipFile) Lstat() (fs.FileInfo, error)  { return f.f.FileInfo(), nil }
func (f zipFile) Open() (io.ReadCloser, error) { return f.f.Open() }

type dataFile struct {
	name string
	data []byte
}

func (f dataFile) Path() string                 { return f.name }
func (f dataFile) Lstat() (fs.FileInfo, error)  { return dataFileInfo{f}, nil }
func (f dataFile) Open() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(f.data)), nil }

type dataFileInfo struct{ f dataFile }

func (fi dataFileInfo) Name() string       { return path.Base(fi.f.name) }
func (fi dataFileInfo) Size() int64        { return int64(len(fi.f.data)) }
func (fi dataFileInfo) Mode() fs.FileMode  { return 0o644 }
func (fi dataFileInfo) ModTime() time.Time { return time.Time{} }
func (fi dataFileInfo) IsDir() bool        { return false }
func (fi dataFileInfo) Sys() any           { return nil }

// short is a commit id cut to 12 characters, as pseudo-versions cut it.
func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// zeroSHA reports whether s is git's all-zeros object name (a deletion in
// a pre-push line).
func zeroSHA(s string) bool {
	return s != "" && strings.Trim(s, "0") == ""
}
