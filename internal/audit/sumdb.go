package audit

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"

	"github.com/modseal/modseal/graph"
	"github.com/modseal/modseal/internal/sumdbops"
	"github.com/modseal/modseal/verify"
)

// sumdbConcurrency is how many checksum database lookups (and module proxy
// requests) run at once: latency-bound, so far more than --jobs, and
// bounded: 48 per job, at most 96. A cold lookup is a chain of about two
// round trips (the record, then the tiles proving it, fetched in parallel,
// so a little more than this many requests can be in flight), so the bound
// sets the wall time: on prometheus' go.sum (about 1,160 requests at 22 ms)
// 64 at once took 0.53 s, 96 0.49 s, 128 no less, with more latency per
// request (docs/performance.md).
func sumdbConcurrency(jobs int) int { return min(max(48*jobs, 48), 96) }

// NewSumDBClient returns the client of the checksum database db that
// every modseal command uses: through env's GOPROXY, with modseal's cache
// (CACHEDIR/sumdb), the go command's sumdb cache and saved tree head (read
// only), and hc (nil: the module proxy's default client).
func NewSumDBClient(db *verify.SumDB, env *graph.Env, cacheDir string, hc *http.Client) *sumdbops.Client {
	c := &sumdbops.Client{
		DB:       db,
		GOPROXY:  env.GOPROXY,
		CacheDir: filepath.Join(cacheDir, "sumdb"),
		HTTP:     hc, // nil: the module proxy's, which serves the database too
	}
	if env.GOMODCACHE != "" {
		c.GoSumDB = filepath.Join(env.GOMODCACHE, "cache", "download", "sumdb")
	}
	if gopath := filepath.SplitList(env.GOPATH); len(gopath) > 0 && gopath[0] != "" {
		c.GoConfig = filepath.Join(gopath[0], "pkg", "sumdb")
	}
	return c
}

// sumdbCheck verifies every go.sum line of a public module against the
// checksum database GOSUMDB names.
// The database's latest tree head is proved consistent with checkpoints
// (by what names them) first, so a fork is caught with an empty cache.
func sumdbCheck(ctx context.Context, env *graph.Env, sums []*verify.SumFile, checkpoints map[string][]byte, opts Options) ([]verify.Finding, []verify.Skipped, string, error) {
	if opts.Offline {
		skipped := []verify.Skipped{{Check: "sumdb", Reason: "--offline: go.sum was not checked against the checksum database"}}
		if len(checkpoints) > 0 {
			skipped = append(skipped, offlineCheckpoint)
		}
		return nil, skipped, "", nil
	}
	db, err := verify.ParseGOSUMDB(env.GOSUMDB)
	if err != nil {
		return nil, nil, "", err
	}
	if db == nil {
		return nil, []verify.Skipped{{Check: "sumdb", Reason: "GOSUMDB=off: go.sum was not checked against a checksum database"}}, "", nil
	}
	c := NewSumDBClient(db, env, opts.CacheDir, opts.HTTP)
	witnesses, skipped := Witnesses(db, checkpoints)
	c.Witnesses = witnesses
	res, err := c.Check(ctx, sums, env.GONOSUMDB, sumdbConcurrency(opts.Jobs))
	if err != nil {
		return nil, nil, "", err
	}
	if res.Lookups == 0 && len(witnesses) > 0 {
		// No lookup fetched the latest tree head: prove it here.
		if err := c.ProveLatest(); err != nil {
			return nil, nil, "", err
		}
	}
	var checkpoint string
	if res.Lookups > 0 {
		checkpoint = string(c.Checkpoint())
	}
	if res.Cache != "" {
		skipped = append(skipped, verify.Skipped{Check: "sumdb-cache", Reason: res.Cache})
	}
	if len(res.Private) > 0 {
		slices.Sort(res.Private)
		skipped = append(skipped, verify.Skipped{Check: "sumdb", Reason: fmt.Sprintf("%d module(s) not looked up: GONOSUMDB/GOPRIVATE covers them: %s", len(res.Private), listSome(res.Private, 5))})
	}
	return res.Findings, skipped, checkpoint, nil
}
