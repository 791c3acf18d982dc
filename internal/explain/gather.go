package explain

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/modseal/modseal/graph"
	"github.com/modseal/modseal/internal/gocmd"
	"github.com/modseal/modseal/internal/modproxy"
	"github.com/modseal/modseal/verify"
)

// A SumDBClient looks module versions up in a checksum database, with
// proof: internal/sumdbops.Client as audit.NewSumDBClient makes it. A
// version the database does not know is an error that is fs.ErrNotExist;
// a database that misbehaved, a *verify.SecurityError. If it also has
// Checkpoint() []byte, the tree size the record was proved against is
// noted; if it has Close() error, it is closed (saving its cache).
type SumDBClient interface {
	Lookup(path, version string) ([]string, error)
}

// Options says which module version to explain and where to look.
type Options struct {
	Module module.Version
	// Dir is the module (or workspace) directory whose go.sum and
	// go.work.sum are read (Env.GOMOD and Env.GOWORK name them); "" for
	// none. Names are shown relative to it.
	Dir string
	// Sums, if not nil, are the go.sum-format files to read instead (as
	// audit has parsed them); their names are shown as they are.
	Sums     []*verify.SumFile
	Env      *graph.Env // the go command's environment
	CacheDir string     // modseal's cache
	Offline  bool       // only the local views
	HTTP     *http.Client
	// SumDB returns the client of the database GOSUMDB names; nil: the
	// database is not asked.
	SumDB func(db *verify.SumDB) SumDBClient
	// MaxZipSize bounds each proxy's zip (0: modproxy's default, the
	// module zip limit).
	MaxZipSize int64
	// GitTimeout bounds git ls-remote (0: 15s).
	GitTimeout time.Duration
	// Timeout bounds each proxy request (0: modproxy's default).
	Timeout time.Duration
}

// Run gathers every view of opts.Module and decides the verdict. An error
// is a module version that cannot be asked about at all (an invalid path
// or version, an unreadable go.sum).
func Run(ctx context.Context, opts Options) (*Result, error) {
	m := opts.Module
	if err := module.Check(m.Path, m.Version); err != nil {
		return nil, err
	}
	if module.CanonicalVersion(m.Version) != m.Version {
		return nil, fmt.Errorf("%s: not a canonical version (want v1.2.3)", m)
	}
	if opts.Env == nil {
		opts.Env = &graph.Env{}
	}
	r := &Result{Schema: Schema, Module: m.Path, Version: m.Version, Dir: opts.Dir}
	sums, err := sumViews(opts)
	if err != nil {
		return nil, err
	}
	r.Views = append(r.Views, sums...)
	r.Views = append(r.Views, cacheViews(opts)...)

	// The remote views, at once.
	var wg sync.WaitGroup
	var dbViews []View
	var dbName string
	wg.Go(func() { dbViews, dbName = sumdbView(opts) })
	proxies := proxyViews(ctx, opts)
	wg.Wait()
	r.SumDB = dbName
	r.Views = append(r.Views, proxies...)
	r.Views = append(r.Views, originViews(ctx, opts, proxies)...)
	r.Views = append(r.Views, dbViews...)
	Decide(r)
	return r, nil
}

// sumViews are the go.sum and go.work.sum lines of the module version.
func sumViews(opts Options) ([]View, error) {
	sums := opts.Sums
	if sums == nil && opts.Dir != "" {
		var files []string
		if gomod := opts.Env.GOMOD; gomod != "" && gomod != os.DevNull {
			files = append(files, filepath.Join(filepath.Dir(gomod), "go.sum"))
		}
		if gowork := opts.Env.GOWORK; gowork != "" && gowork != "off" {
			files = append(files, filepath.Join(filepath.Dir(gowork), "go.work.sum"))
		}
		if len(files) == 0 {
			return []View{{Kind: KindGoSum, Name: "go.sum", Status: StatusNotAsked, Note: "no module in " + opts.Dir}}, nil
		}
		for i, file := range files {
			data, err := verify.ReadFileLimited(file, verify.MaxSumFileSize)
			if errors.Is(err, fs.ErrNotExist) {
				if i == 0 { // go.sum: say that it has no line
					sums = append(sums, &verify.SumFile{Name: relName(opts.Dir, file)})
				}
				continue
			}
			if err != nil {
				return nil, err
			}
			sf, _ := verify.ParseSum(relName(opts.Dir, file), data)
			sums = append(sums, sf)
		}
	}
	m := opts.Module
	var views []View
	for _, sf := range sums {
		zips := sf.Lookup(m.Path, m.Version)
		mods := sf.Lookup(m.Path, m.Version+"/go.mod")
		zips = h1Lines(zips)
		mods = h1Lines(mods)
		if len(zips) == 0 && len(mods) == 0 {
			views = append(views, View{Kind: KindGoSum, Name: sf.Name, Source: sf.Name, Status: StatusMissing, Note: "no line for " + m.String()})
			continue
		}
		// The first line of each kind is the file's view; a conflicting
		// later line is a view of its own.
		for i := 0; i < max(len(zips), len(mods)); i++ {
			v := View{Kind: KindGoSum, Name: sf.Name, Status: StatusOK}
			var at []string
			if i < len(zips) {
				v.Zip = zips[i].Hash
				at = append(at, fmt.Sprintf("%s:%d", sf.Name, zips[i].Line))
			}
			if i < len(mods) {
				v.GoMod = mods[i].Hash
				at = append(at, fmt.Sprintf("%s:%d", sf.Name, mods[i].Line))
			}
			v.Source = strings.Join(at, ", ")
			if i > 0 {
				v.Name = at[0]
				v.Note = "a conflicting line"
			}
			views = append(views, v)
		}
	}
	return views, nil
}

// h1Lines returns the h1 lines of ls, one per distinct hash.
func h1Lines(ls []verify.SumLine) []verify.SumLine {
	var out []verify.SumLine
	seen := make(map[string]bool)
	for _, l := range ls {
		if strings.HasPrefix(l.Hash, "h1:") && !seen[l.Hash] {
			seen[l.Hash] = true
			out = append(out, l)
		}
	}
	return out
}

func relName(dir, file string) string {
	absDir, err1 := filepath.Abs(dir)
	absFile, err2 := filepath.Abs(file)
	if err1 == nil && err2 == nil {
		if rel, err := filepath.Rel(absDir, absFile); err == nil && filepath.IsLocal(rel) {
			return filepath.ToSlash(rel)
		}
	}
	return file
}

// maxZipHash bounds a .ziphash file.
const maxZipHash = 4 << 10

// cacheViews are the user's module cache and modseal's.
func cacheViews(opts Options) []View {
	m := opts.Module
	escPath, _ := module.EscapePath(m.Path) // checked by Run
	escVer, _ := module.EscapeVersion(m.Version)
	rel := filepath.Join(filepath.FromSlash(escPath), "@v", escVer)
	var views []View
	if gmc := opts.Env.GOMODCACHE; gmc != "" {
		dl := filepath.Join(gmc, "cache", "download")
		views = append(views,
			zipView(KindGoModCache, "GOMODCACHE .zip", filepath.Join(dl, rel+".zip"), m, true),
			zipHashView(filepath.Join(dl, rel+".ziphash")),
			modView(KindGoModCache, "GOMODCACHE .mod", filepath.Join(dl, rel+".mod"), true),
			dirView(filepath.Join(gmc, filepath.FromSlash(escPath)+"@"+escVer), m))
	} else {
		views = append(views, View{Kind: KindGoModCache, Name: "GOMODCACHE", Status: StatusNotAsked, Note: "the go command names no module cache"})
	}
	if opts.CacheDir != "" {
		for _, c := range []struct{ name, dir string }{
			{"modseal go cache", filepath.Join(opts.CacheDir, "mod", "cache", "download")},
			{"modseal downloads", filepath.Join(opts.CacheDir, "download")},
		} {
			for _, v := range []View{
				zipView(KindModsealCache, c.name+" .zip", filepath.Join(c.dir, rel+".zip"), m, false),
				modView(KindModsealCache, c.name+" .mod", filepath.Join(c.dir, rel+".mod"), false),
			} {
				if v.Status != StatusMissing {
					views = append(views, v)
				}
			}
		}
	}
	return views
}

// regular returns whether file is a regular file (not a link), and a view
// of its absence or strangeness.
func regular(kind, name, file string, showLinks bool) (View, bool) {
	v := View{Kind: kind, Name: name, Source: file}
	fi, err := os.Lstat(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		v.Status, v.Note = StatusMissing, "not in the cache"
	case err != nil:
		v.Status, v.Note = StatusError, err.Error()
	case fi.Mode()&fs.ModeSymlink != 0 && !showLinks:
		// modseal's cache links to the user's: the same view.
		v.Status = StatusMissing
	case !fi.Mode().IsRegular():
		v.Status, v.Note = StatusError, "not a regular file"
	default:
		return v, true
	}
	return v, false
}

func zipView(kind, name, file string, m module.Version, showLinks bool) View {
	v, ok := regular(kind, name, file, showLinks)
	if !ok {
		return v
	}
	zm, h, err := verify.HashZip(file)
	switch {
	case err != nil:
		v.Status, v.Note = StatusError, "not a valid module zip: "+firstLine(err.Error())
	case zm != m:
		v.Status, v.Note = StatusError, "the zip holds "+zm.String()
	default:
		v.Status, v.Zip, v.Note = StatusOK, h, "recomputed"
	}
	return v
}

func zipHashView(file string) View {
	v, ok := regular(KindGoModCache, "GOMODCACHE .ziphash", file, true)
	if !ok {
		return v
	}
	data, err := verify.ReadFileLimited(file, maxZipHash)
	if err != nil {
		v.Status, v.Note = StatusError, err.Error()
		return v
	}
	h := strings.TrimSpace(string(data))
	if !strings.HasPrefix(h, "h1:") || strings.ContainsAny(h, " \t\n") {
		v.Status, v.Note = StatusError, "not an h1 hash"
		return v
	}
	v.Status, v.Zip, v.Note = StatusOK, h, "as the go command recorded it"
	return v
}

func modView(kind, name, file string, showLinks bool) View {
	v, ok := regular(kind, name, file, showLinks)
	if !ok {
		return v
	}
	data, err := verify.ReadFileLimited(file, maxGoMod)
	if err == nil {
		v.GoMod, err = verify.HashGoMod(data)
	}
	if err != nil {
		v.Status, v.Note = StatusError, err.Error()
		return v
	}
	v.Status, v.Note = StatusOK, "recomputed"
	return v
}

// maxGoMod is the go command's bound on a go.mod file.
const maxGoMod = 16 << 20

func dirView(dir string, m module.Version) View {
	v := View{Kind: KindGoModCache, Name: "GOMODCACHE dir", Source: dir}
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		v.Status, v.Note = StatusMissing, "not extracted"
		return v
	case err != nil:
		v.Status, v.Note = StatusError, err.Error()
		return v
	case !fi.IsDir():
		v.Status, v.Note = StatusError, "not a directory"
		return v
	}
	h, err := verify.HashDir(dir, m)
	if err != nil {
		v.Status, v.Note = StatusError, err.Error()
		return v
	}
	v.Status, v.Zip, v.Note = StatusOK, h, "extracted files, recomputed"
	return v
}

// sumdbView is the checksum database's record, and the database's name.
func sumdbView(opts Options) ([]View, string) {
	v := View{Kind: KindSumDB, Name: "checksum database"}
	m := opts.Module
	env := opts.Env
	db, err := verify.ParseGOSUMDB(env.GOSUMDB)
	switch {
	case opts.Offline:
		v.Status, v.Note = StatusNotAsked, "--offline"
		return []View{v}, ""
	case err != nil:
		v.Status, v.Note = StatusError, err.Error()
		return []View{v}, ""
	case db == nil:
		v.Status, v.Note = StatusNotAsked, "GOSUMDB=off"
		return []View{v}, ""
	case env.GONOSUMDB != "" && module.MatchPrefixPatterns(env.GONOSUMDB, m.Path):
		v.Status, v.Note = StatusNotAsked, "GONOSUMDB/GOPRIVATE covers "+m.Path
		return []View{v}, ""
	case opts.SumDB == nil:
		v.Status, v.Note = StatusNotAsked, "no checksum database client"
		return []View{v}, ""
	}
	v.Name = "checksum database " + db.Name
	v.Source = db.Name
	c := opts.SumDB(db)
	if cl, ok := c.(interface{ Close() error }); ok {
		defer cl.Close()
	}
	lookup := func(vers string) (string, error) {
		lines, err := c.Lookup(m.Path, vers)
		if err != nil {
			return "", err
		}
		prefix := m.Path + " " + vers + " "
		for _, l := range lines {
			if h, ok := strings.CutPrefix(l, prefix); ok && strings.HasPrefix(h, "h1:") {
				return h, nil
			}
		}
		return "", fmt.Errorf("%s@%s: %w", m.Path, vers, fs.ErrNotExist)
	}
	zip, err := lookup(m.Version)
	var mod string
	if err == nil {
		mod, err = lookup(m.Version + "/go.mod")
	}
	var se *verify.SecurityError
	switch {
	case errors.As(err, &se):
		v.Status, v.Note = StatusSecurity, se.Msg
	case errors.Is(err, fs.ErrNotExist):
		v.Status, v.Note = StatusMissing, "the database has no record of "+m.String()
	case err != nil:
		v.Status, v.Note = StatusError, firstLine(err.Error())
	default:
		v.Status, v.Zip, v.GoMod = StatusOK, zip, mod
		v.Note = "record proved"
		if cp, ok := c.(interface{ Checkpoint() []byte }); ok {
			if n := treeSize(cp.Checkpoint()); n > 0 {
				v.Note = fmt.Sprintf("record proved against the signed tree of size %d", n)
			}
		}
	}
	return []View{v}, db.Name
}

// treeSize is the size of the tree a signed tree head note names, 0 if it
// does not parse.
func treeSize(note []byte) int64 {
	text, _, ok := strings.Cut(string(note), "\n\n")
	if !ok {
		return 0
	}
	t, err := tlog.ParseTree([]byte(text + "\n"))
	if err != nil {
		return 0
	}
	return t.N
}

// proxyViews fetches the zip, .mod and .info from each GOPROXY entry on
// its own, into a temporary directory of modseal's cache.
func proxyViews(ctx context.Context, opts Options) []View {
	m := opts.Module
	env := opts.Env
	list, err := modproxy.ParseGOPROXY(env.GOPROXY)
	if err != nil {
		return []View{{Kind: KindProxy, Name: "GOPROXY", Status: StatusError, Note: err.Error()}}
	}
	views := make([]View, 0, len(list))
	var urls []string // the entry of each view, unredacted
	for _, e := range list {
		v := View{Kind: KindProxy, Name: "proxy " + e.String(), Source: e.String()}
		switch {
		case e.Special == "off":
			continue
		case e.Special == "direct":
			v.Name, v.Status, v.Note = "direct", StatusNotAsked, "the go command would fetch from version control; modseal does not"
		case opts.Offline:
			v.Status, v.Note = StatusNotAsked, "--offline"
		case env.GONOPROXY != "" && module.MatchPrefixPatterns(env.GONOPROXY, m.Path):
			v.Status, v.Note = StatusNotAsked, "GONOPROXY/GOPRIVATE covers "+m.Path
		}
		views = append(views, v)
		if e.URL != nil {
			urls = append(urls, e.URL.String())
		} else {
			urls = append(urls, "")
		}
	}
	var tmp string
	var wg sync.WaitGroup
	for i := range views {
		v := &views[i]
		if v.Status != "" {
			continue
		}
		if tmp == "" {
			if tmp, err = tempDir(opts.CacheDir); err != nil {
				v.Status, v.Note = StatusError, err.Error()
				continue
			}
		}
		// Each entry alone: its own list of one, its own directory.
		f := &modproxy.Fetcher{
			Proxy:      urls[i],
			Dir:        filepath.Join(tmp, fmt.Sprint(i)),
			Client:     opts.HTTP,
			Timeout:    opts.Timeout,
			MaxZipSize: opts.MaxZipSize,
		}
		wg.Go(func() { askProxy(ctx, f, m, v) })
	}
	wg.Wait()
	if tmp != "" {
		os.RemoveAll(tmp)
	}
	return views
}

// tempDir makes a temporary directory in modseal's cache.
func tempDir(cacheDir string) (string, error) {
	if cacheDir == "" {
		return os.MkdirTemp("", "modseal-explain-")
	}
	parent := filepath.Join(cacheDir, "tmp")
	if err := os.MkdirAll(parent, 0o777); err != nil {
		return "", err
	}
	return os.MkdirTemp(parent, "explain-")
}

// askProxy fills v with what proxy f serves for m.
func askProxy(ctx context.Context, f *modproxy.Fetcher, m module.Version, v *View) {
	var notes, failed []string
	missing := 0
	fail := func(what string, err error) {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			missing++
			notes = append(notes, "no "+what)
		case len(failed) == 0:
			notes = append(notes, firstLine(trimModule(err, m)))
			failed = append(failed, what)
		default:
			failed = append(failed, what)
		}
	}
	if file, err := f.Fetch(ctx, m, "zip"); err != nil {
		fail(".zip", err)
	} else if zm, h, err := verify.HashZip(file); err != nil {
		notes = append(notes, ".zip: not a valid module zip: "+firstLine(err.Error()))
	} else if zm != m {
		notes = append(notes, ".zip holds "+zm.String())
	} else {
		v.Zip = h
	}
	if data, err := f.GoMod(ctx, m); err != nil {
		fail(".mod", err)
	} else if h, err := verify.HashGoMod(data); err == nil {
		v.GoMod = h
	}
	if info, err := f.Stat(ctx, m); err != nil {
		fail(".info", err)
	} else {
		v.Info = &Info{}
		if !info.Time.IsZero() {
			v.Info.Time = info.Time.UTC().Format(time.RFC3339)
		}
		if o := info.Origin; o != nil {
			v.Info.Origin = &Origin{VCS: o.VCS, URL: o.URL, Ref: o.Ref, Hash: o.Hash}
		}
	}
	if len(failed) > 1 {
		notes = append(notes, strings.Join(failed[1:], " and ")+" failed too")
	}
	switch {
	case v.hashed():
		v.Status = StatusOK
	case missing == 3:
		v.Status = StatusMissing
		notes = []string{"the proxy does not have " + m.String()}
	default:
		v.Status = StatusError
	}
	v.Note = strings.Join(notes, "; ")
}

// trimModule is err's message without the "path@version: " prefix the
// fetcher puts first.
func trimModule(err error, m module.Version) string {
	return strings.TrimPrefix(err.Error(), m.String()+": ")
}

// originViews asks the repository each proxy's .info names what the ref
// names now (git ls-remote), once per repository and ref.
func originViews(ctx context.Context, opts Options, proxies []View) []View {
	type key struct{ url, ref, hash string }
	var views []View
	seen := make(map[key]bool)
	for _, p := range proxies {
		if p.Info == nil || p.Info.Origin == nil {
			continue
		}
		o := *p.Info.Origin
		if o.URL == "" || o.Ref == "" || o.Hash == "" {
			continue
		}
		k := key{o.URL, o.Ref, o.Hash}
		if seen[k] {
			continue
		}
		seen[k] = true
		v := View{Kind: KindOrigin, Name: "origin " + o.Ref, Source: o.URL + " " + o.Ref, Origin: &o}
		switch {
		case opts.Offline:
			v.Status, v.Note = StatusNotAsked, "--offline"
		case o.VCS != "git":
			v.Status, v.Note = StatusNotAsked, "only git repositories are asked"
		default:
			now, err := lsRemote(ctx, o.URL, o.Ref, opts.GitTimeout)
			switch {
			case err != nil:
				v.Status, v.Note = StatusError, firstLine(err.Error())
			case now == "":
				v.Status, v.Note = StatusMissing, o.Ref+" no longer exists in the repository"
			default:
				v.Status = StatusOK
				v.Origin.Now = now
				v.Origin.Moved = now != o.Hash
				if v.Origin.Moved {
					v.Note = fmt.Sprintf("%s recorded %s; the ref now names %s", p.Name, short(o.Hash), short(now))
				} else {
					v.Note = fmt.Sprintf("the ref still names %s, as %s recorded", short(now), p.Name)
				}
			}
		}
		views = append(views, v)
	}
	return views
}

// lsRemote returns the commit ref names in the git repository at url now
// (a tag's peeled commit), "" if the repository has no such ref. The URL
// and ref come from a proxy's .info: only plain repository URLs (https,
// http, git, file, a local path) are asked, with no prompt for
// credentials, within timeout.
func lsRemote(ctx context.Context, url, ref string, timeout time.Duration) (string, error) {
	if strings.HasPrefix(url, "-") || strings.ContainsAny(url, "\n\r\x00") {
		return "", fmt.Errorf("refusing the origin URL %q", url)
	}
	if !strings.HasPrefix(ref, "refs/") || strings.ContainsAny(ref, " \t\n\r\x00*?[\\") || strings.Contains(ref, "..") {
		return "", fmt.Errorf("refusing the origin ref %q", ref)
	}
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := gocmd.GitEnv(ctx, "", []string{
		"GIT_TERMINAL_PROMPT=0", "GCM_INTERACTIVE=never", "GIT_ASKPASS=", "SSH_ASKPASS=",
		"GIT_ALLOW_PROTOCOL=https:http:git:file",
	}, "ls-remote", "--", url, ref, ref+"^{}")
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("git ls-remote %s: no answer within %s", url, timeout)
		}
		return "", err
	}
	var direct, peeled string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		hash, name, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			continue
		}
		switch name {
		case ref:
			direct = hash
		case ref + "^{}":
			peeled = hash
		}
	}
	if peeled != "" {
		return peeled, nil
	}
	return direct, nil
}
