package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/mod/module"

	"github.com/modseal/modseal/internal/gocmd"
)

// Env is the part of "go env -json" modseal uses.
type Env struct {
	GOFLAGS     string
	GOPROXY     string
	GONOPROXY   string
	GOPRIVATE   string
	GONOSUMDB   string
	GOSUMDB     string
	GOINSECURE  string
	GOMODCACHE  string
	GOWORK      string
	GOMOD       string
	GOTOOLCHAIN string
	GOVERSION   string
	GOPATH      string
}

// A Command runs the go command for one module or workspace directory:
// the authority on its module graph.
type Command struct {
	Dir      string   // the module or workspace directory
	Environ  []string // the user's environment (os.Environ())
	Offline  bool     // never let the go command reach the network
	CacheDir string   // modseal's cache; the go command's downloads go below it
	GoBin    string   // the go binary; "" means "go" on PATH

	envOnce sync.Once
	env     *Env
	envErr  error

	// Distrust lists module versions whose files in the user's module
	// cache must not be handed to the go command through links (the hash
	// check found them tampered with): the go command fetches them through
	// the proxies instead, checking the zip against go.sum, and without
	// its module index (GODEBUG=goindex=0). It is read before the first go
	// command runs.
	Distrust map[module.Version]bool

	linkOnce sync.Once // links modseal's module cache to the user's (see linkUserCache)
}

// ErrOffline reports that the go command needed the network, which --offline forbids.
var ErrOffline = errors.New("the go command needs modules that are neither in modseal's cache nor in the user's module cache, and --offline forbids downloading them")

// Env returns the go command's view of the environment ("go env -json", once).
// It runs with GOTOOLCHAIN=local so that asking never downloads a toolchain;
// GOTOOLCHAIN in the result is therefore not the user's setting.
func (g *Command) Env(ctx context.Context) (*Env, error) {
	g.envOnce.Do(func() {
		c := gocmd.Cmd{Go: g.GoBin, Env: gocmd.Setenv(g.Environ, "GOTOOLCHAIN", "local")}
		out, err := c.Run(ctx, g.Dir, "env", "-json")
		if err != nil {
			g.envErr = err
			return
		}
		var e Env
		if err := json.Unmarshal(out, &e); err != nil {
			g.envErr = fmt.Errorf("go env -json: %v", err)
			return
		}
		g.env = &e
	})
	return g.env, g.envErr
}

// run runs the go command in dir (g.Dir if empty) with the environment
// commandEnv describes. A go command that exits non-zero returns its
// stdout with a *gocmd.Error.
func (g *Command) run(ctx context.Context, dir string, args ...string) ([]byte, error) {
	if dir == "" {
		dir = g.Dir
	}
	env, err := g.Env(ctx)
	if err != nil {
		return nil, err
	}
	environ := g.commandEnv(env)
	wc, err := copyWork(env)
	if err != nil {
		return nil, err
	}
	defer wc.close()
	return g.runEnv(ctx, dir, wc.env(environ), args...)
}

// runEnv runs the go command in dir with the complete environment environ.
func (g *Command) runEnv(ctx context.Context, dir string, environ []string, args ...string) ([]byte, error) {
	c := gocmd.Cmd{Go: g.GoBin, Env: environ}
	out, err := c.Run(ctx, dir, args...)
	if err != nil && g.Offline && lookupDisabled(err) {
		return out, fmt.Errorf("%w: %w", ErrOffline, err)
	}
	return out, err
}

// commandEnv is the environment of every go command modseal runs.
//
// Every go command runs read-only on the user's files: GOFLAGS gets
// -mod=readonly (replacing any -mod the user set, -mod=vendor included: the
// build list and the module graph cannot be computed from a vendor
// directory, which modseal checks against the verified module zips
// instead), GOMODCACHE is modseal's own cache, and so is GOPATH, where the
// go command keeps its checksum database state (GOPATH/pkg/sumdb): modseal
// reads the user's as an independent witness and never writes it. The
// user's module cache is only read: modseal's cache links to the files and
// extracted directories of the module versions go.sum lists, in real
// directories of its own, so that the go command neither copies them nor
// writes through a link (see linkUserCache), and the user's cache is a
// file:// proxy in front of the user's GOPROXY for everything else. The go
// command creates its lock files, temporary files and downloads in
// modseal's cache only. In a workspace, the go command adds every go.sum
// line it misses to go.work.sum, -mod=readonly or not: run and
// platformModules run it on a copy of go.work and go.work.sum (see
// copyWork).
func (g *Command) commandEnv(env *Env) []string {
	e := readOnlyEnv(g.Environ, env)
	modcache := filepath.Join(g.CacheDir, "mod")
	e = gocmd.Setenv(e, "GOMODCACHE", modcache)
	if env.GOMODCACHE != "" && filepath.Clean(env.GOMODCACHE) != filepath.Clean(modcache) {
		g.linkOnce.Do(func() { linkUserCache(modcache, env.GOMODCACHE, sumModules(env), g.Distrust) })
	}
	if len(g.Distrust) > 0 {
		// The go command keeps an index of each module directory of
		// GOMODCACHE in GOCACHE, keyed by the directory's path alone: an
		// index made while a link led to a tampered directory would outlive
		// the link.
		e = gocmd.Setenv(e, "GODEBUG", strings.TrimPrefix(gocmd.Getenv(e, "GODEBUG")+",goindex=0", ","))
	}
	// GOPATH is where the go command saves the checksum database's latest
	// signed tree head (GOPATH/pkg/sumdb); GOMODCACHE is set above, GOBIN
	// and GOPATH/src are not used in module mode.
	e = gocmd.Setenv(e, "GOPATH", filepath.Join(g.CacheDir, "gopath"))
	proxy := env.GOPROXY
	if g.Offline {
		proxy = "off"
		// With no proxy to ask, the go command would contact the checksum
		// database directly for a module go.sum lacks.
		e = gocmd.Setenv(e, "GOSUMDB", "off")
	}
	if dl := filepath.Join(env.GOMODCACHE, "cache", "download"); env.GOMODCACHE != "" && isDir(dl) {
		proxy = fileProxyURL(dl) + "," + proxy
	}
	e = gocmd.Setenv(e, "GOPROXY", proxy)
	// Files the go command writes to a module cache are read-only by
	// default; -modcacherw lets a user delete modseal's cache with rm -rf.
	return gocmd.Setenv(e, "GOFLAGS", strings.TrimSpace(gocmd.Getenv(e, "GOFLAGS")+" -modcacherw"))
}

// fileProxyURL returns the file:// GOPROXY entry for the module proxy
// layout in dir. The go command splits GOPROXY at "," and "|" before it
// parses each URL, and decodes the path of a file:// URL, so those (and
// every other byte not allowed in a URL path) are percent-encoded: a
// directory named "a,b" is "file:///a%2Cb", not two proxies.
func fileProxyURL(dir string) string {
	p := filepath.ToSlash(dir)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive letter: file:///C:/...
	}
	u := url.URL{Scheme: "file", Path: p}
	s := u.String()
	return strings.NewReplacer(",", "%2C", "|", "%7C").Replace(s)
}

// lookupDisabled reports whether err is the go command refusing a download
// because GOPROXY=off.
func lookupDisabled(err error) bool {
	var ge *gocmd.Error
	return errors.As(err, &ge) && strings.Contains(ge.Stderr, "disabled by GOPROXY=off")
}

// readOnlyEnv returns environ with GOFLAGS forcing -mod=readonly, keeping
// every other flag the user set. -mod=mod would let the go command rewrite
// go.mod and go.sum; -mod=vendor (read-only, and the usual CI setting of a
// vendored project) makes "go list -m all" fail with "can't compute 'all'
// using the vendor directory", and would make the build list depend on
// vendor/modules.txt rather than on go.mod and go.sum.
func readOnlyEnv(environ []string, env *Env) []string {
	var flags []string
	for _, f := range strings.Fields(env.GOFLAGS) {
		if !strings.HasPrefix(f, "-mod=") && !strings.HasPrefix(f, "--mod=") {
			flags = append(flags, f)
		}
	}
	flags = append(flags, "-mod=readonly")
	return gocmd.Setenv(environ, "GOFLAGS", strings.Join(flags, " "))
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
