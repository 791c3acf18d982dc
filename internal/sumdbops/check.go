package sumdbops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/modseal/modseal/verify"
)

// Check is verify.SumDB.Check with the client, followed by the proof that
// the tree heads seen before are consistent with the one the lookups moved
// the saved head to; it then closes the client (saving what it verified).
//
// Cached data is only a copy: a tile or record that does not hash to a
// signed tree head, or that does not even parse, is more likely a damaged
// cache than a misbehaving database. So any failure met with help from a
// cache, while the database answered every request, is checked again
// without any cache (the saved tree heads still count): if the database
// then behaves, the result stands, modseal's packs are replaced (the go
// command's cache, which modseal never writes, is left alone, and no
// longer consulted for what modseal's new pack holds), and the result's
// Cache says so. A saved tree head that does not parse is replaced
// (modseal's) or ignored (the go command's), and Cache says so too.
func (c *Client) Check(ctx context.Context, sums []*verify.SumFile, nosumdb string, jobs int) (*verify.SumDBResult, error) {
	res, err := c.check(ctx, sums, nosumdb, jobs)
	if err != nil && c.cacheHits.Load() > 0 && !c.remoteFail.Load() && ctx.Err() == nil {
		fresh := &Client{
			DB: c.DB, GOPROXY: c.GOPROXY, CacheDir: c.CacheDir, GoConfig: c.GoConfig, Witnesses: c.Witnesses,
			HTTP: c.HTTP, Timeout: c.Timeout, Retries: c.Retries, noCacheRead: true,
		}
		res2, err2 := fresh.check(ctx, sums, nosumdb, jobs)
		if err2 == nil {
			c.packs().remove()
			which := "modseal's cache"
			if c.goHits.Load() > 0 {
				which = "modseal's cache or the go command's (GOMODCACHE/cache/download/sumdb, which modseal never writes and from now on consults only for what its own cache lacks)"
			}
			res2.Cache = joinNotes(append(c.cacheNotes(), fresh.cacheNotes()...)...)
			res2.Cache = joinNotes(res2.Cache, fmt.Sprintf("a damaged cache: cached checksum database data in %s did not verify (%s): checked again without the caches, and modseal's cache was rebuilt", which, cause(err)))
			if cerr := fresh.Close(); cerr != nil {
				res2.Cache += "; saving it failed: " + cerr.Error()
			}
			return res2, nil
		}
		fresh.Close()
		var se *verify.SecurityError
		if !errors.As(err, &se) {
			err = err2 // what the database says, not what the cache held
		}
	}
	// What the client verified is worth keeping even when the check
	// fails: the cache holds only authenticated tiles and records. A cache
	// that cannot be written costs the next run requests, not this result.
	cerr := c.Close()
	if err != nil {
		return nil, err
	}
	res.Cache = joinNotes(c.cacheNotes()...)
	if cerr != nil {
		res.Cache = joinNotes(res.Cache, "modseal's checksum database cache could not be saved (the next run asks the database again): "+cerr.Error())
	}
	return res, nil
}

// check is Check with this client only.
func (c *Client) check(ctx context.Context, sums []*verify.SumFile, nosumdb string, jobs int) (*verify.SumDBResult, error) {
	res, err := c.DB.Check(ctx, c, sums, nosumdb, jobs)
	if err != nil {
		return nil, err
	}
	if err := c.rewitness(); err != nil {
		return nil, err
	}
	return res, nil
}

// cause is the first line of err, without the SecurityError preamble.
func cause(err error) string {
	msg := err.Error()
	var se *verify.SecurityError
	if errors.As(err, &se) {
		msg = se.Msg
	}
	msg, _, _ = strings.Cut(msg, "\n")
	return msg
}

// joinNotes joins the non-empty notes with "; ".
func joinNotes(notes ...string) string {
	var out []string
	for _, n := range notes {
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return strings.Join(out, "; ")
}
