// Package graph asks the go command about a module: its environment, its
// build list and requirement graph, and which go.sum lines go mod tidy would
// add or drop. The go command is the authority on module semantics; this
// package never re-implements minimal version selection.
//
// Every go command runs read-only: -mod=readonly (unless the user chose
// -mod=vendor), and first with GOPROXY=off against the user's module cache,
// which it then only reads. When that fails because a module is missing from
// the cache, the command runs again with GOMODCACHE set to modseal's own
// cache, the user's cache as the first (file://) proxy and the user's GOPROXY
// after it, so downloads never land in the user's module cache.
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
}

// A Go runs the go command for one module or workspace directory.
type Go struct {
	Dir      string   // the module or workspace directory
	Environ  []string // the user's environment (os.Environ())
	Offline  bool     // never let the go command reach the network
	CacheDir string   // modseal's cache; the go command's downloads go below it
	GoBin    string   // the go binary; "" means "go" on PATH

	envOnce sync.Once
	env     *Env
	envErr  error

	mu      sync.Mutex
	private bool // a command needed a download: use the private cache from now on
}

// ErrOffline reports that the go command needed the network, which --offline forbids.
var ErrOffline = errors.New("the go command needs modules that are not in the module cache, and --offline forbids downloading them")

// Env returns the go command's view of the environment ("go env -json", once).
func (g *Go) Env(ctx context.Context) (*Env, error) {
	g.envOnce.Do(func() {
		c := gocmd.Cmd{Go: g.GoBin, Env: g.Environ}
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

// Run runs the go command read-only in dir (g.Dir if empty), as the package
// comment describes. A go command that exits non-zero returns its stdout
// with a *gocmd.Error.
func (g *Go) Run(ctx context.Context, dir string, args ...string) ([]byte, error) {
	if dir == "" {
		dir = g.Dir
	}
	env, err := g.Env(ctx)
	if err != nil {
		return nil, err
	}
	base := readOnlyEnv(g.Environ, env)
	g.mu.Lock()
	private := g.private
	g.mu.Unlock()
	if !private {
		c := gocmd.Cmd{Go: g.GoBin, Env: gocmd.Setenv(base, "GOPROXY", "off")}
		out, err := c.Run(ctx, dir, args...)
		if err == nil || !lookupDisabled(err) {
			return out, err
		}
		if g.Offline {
			return out, fmt.Errorf("%w: %v", ErrOffline, err)
		}
		if env.GOPROXY == "off" {
			return out, err
		}
		g.mu.Lock()
		g.private = true
		g.mu.Unlock()
	}
	c := gocmd.Cmd{Go: g.GoBin, Env: privateCacheEnv(base, env, g.CacheDir)}
	return c.Run(ctx, dir, args...)
}

// lookupDisabled reports whether err is the go command refusing a download
// because GOPROXY=off.
func lookupDisabled(err error) bool {
	var ge *gocmd.Error
	return errors.As(err, &ge) && strings.Contains(ge.Stderr, "disabled by GOPROXY=off")
}

// readOnlyEnv returns environ with GOFLAGS forcing -mod=readonly, keeping
// every other flag the user set; -mod=vendor is kept, as it is read-only too.
func readOnlyEnv(environ []string, env *Env) []string {
	var flags []string
	vendor := false
	for _, f := range strings.Fields(env.GOFLAGS) {
		switch {
		case f == "-mod=vendor" || f == "--mod=vendor":
			vendor = true
			flags = append(flags, f)
		case strings.HasPrefix(f, "-mod=") || strings.HasPrefix(f, "--mod="):
			// -mod=mod would let the go command rewrite go.mod and go.sum.
		default:
			flags = append(flags, f)
		}
	}
	if !vendor {
		flags = append(flags, "-mod=readonly")
	}
	return gocmd.Setenv(environ, "GOFLAGS", strings.Join(flags, " "))
}

// privateCacheEnv points the go command at modseal's own module cache, with
// the user's module cache as a read-only file:// proxy in front of GOPROXY.
func privateCacheEnv(base []string, env *Env, cacheDir string) []string {
	e := gocmd.Setenv(base, "GOMODCACHE", filepath.Join(cacheDir, "mod"))
	proxy := env.GOPROXY
	if dl := filepath.Join(env.GOMODCACHE, "cache", "download"); env.GOMODCACHE != "" && isDir(dl) {
		u := url.URL{Scheme: "file", Path: filepath.ToSlash(dl)}
		proxy = u.String() + "," + proxy
	}
	e = gocmd.Setenv(e, "GOPROXY", proxy)
	// Files the go command writes to its module cache are read-only by
	// default; -modcacherw lets a user delete modseal's cache with rm -rf.
	return gocmd.Setenv(e, "GOFLAGS", strings.TrimSpace(gocmd.Getenv(e, "GOFLAGS")+" -modcacherw"))
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
