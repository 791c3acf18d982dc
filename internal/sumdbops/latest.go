package sumdbops

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/modseal/modseal/verify"
)

// checkLatest fetches the database's latest signed tree head and proves it
// consistent with every tree head seen before: the one modseal persisted
// (config/NAME/latest) and the one the go command saved (GoConfig, read
// only). It runs once per client, before the first lookup, so a database
// that forked since the last run is caught even when every lookup is then
// answered from the cache. A fork is a *verify.SecurityError. A saved tree head
// that is not a valid signed note of this database is damaged data, not
// evidence: modseal's is replaced by the fetched one, the go command's is
// ignored, and the client's notes say so. The fetched head is persisted
// when it is newer, so the lookups that follow start from it.
func (c *Client) checkLatest() error {
	verifier, err := note.NewVerifier(c.DB.Key)
	if err != nil {
		return fmt.Errorf("checksum database key: %v", err)
	}
	verifiers := note.VerifierList(verifier)
	msg, err := c.readRemote("/latest")
	if err != nil {
		return fmt.Errorf("fetching the latest signed tree head: %v", err)
	}
	latest, err := openTree(msg, verifiers)
	if err != nil {
		return fmt.Errorf("the latest signed tree head the database served is not valid: %v (served: %s); check the key in GOSUMDB", err, excerpt(msg))
	}
	configFile := c.DB.Name + "/latest"
	saved, err := c.readConfig(configFile)
	if err != nil {
		return fmt.Errorf("reading modseal's saved tree head: %v", err)
	}
	replace := len(saved) == 0
	if len(saved) > 0 {
		old, err := openTree(saved, verifiers)
		if err != nil {
			c.note(fmt.Sprintf("modseal's saved tree head of %s was damaged (%v; it began %s): replaced by the database's latest", c.DB.Name, err, excerpt(saved)))
			replace = true
		} else {
			if err := c.checkTrees("modseal's saved tree head", old, saved, latest, msg); err != nil {
				return err
			}
			replace = latest.N > old.N
		}
	}
	if err := c.checkWitnesses(latest, msg, verifiers); err != nil {
		return err
	}
	c.checked = msg
	if replace {
		// A conflict means another process saved a head meanwhile: the
		// client merges it when it starts.
		if err := c.writeConfig(configFile, saved, msg); err != nil && !errors.Is(err, sumdb.ErrWriteConflict) {
			return fmt.Errorf("saving the latest signed tree head: %v", err)
		}
	}
	return nil
}

// checkWitnesses proves the go command's saved tree head (if any) and the
// Witnesses consistent with latest, a tree head of the database this
// client verified.
func (c *Client) checkWitnesses(latest tlog.Tree, msg []byte, verifiers note.Verifiers) error {
	for _, what := range slices.Sorted(maps.Keys(c.Witnesses)) {
		data := c.Witnesses[what]
		old, err := openTree(data, verifiers)
		if err != nil {
			return fmt.Errorf("%s is not a valid signed tree head of %s: %v (it begins %s)", what, c.DB.Name, err, excerpt(data))
		}
		if err := c.checkTrees(what, old, data, latest, msg); err != nil {
			return err
		}
	}
	if c.GoConfig == "" {
		return nil
	}
	file := filepath.Join(c.GoConfig, filepath.FromSlash(c.DB.Name), "latest")
	data, err := os.ReadFile(file)
	if err != nil || len(data) == 0 {
		return nil // the go command has not talked to this database
	}
	old, err := openTree(data, verifiers)
	if err != nil {
		c.note(fmt.Sprintf("the go command's saved tree head %s is not a valid signed tree head of %s (%v; it begins %s): ignored (modseal never writes it; the go command replaces it on its next checksum database request)", file, c.DB.Name, err, excerpt(data)))
		return nil
	}
	return c.checkTrees("the go command's saved tree head ("+file+")", old, data, latest, msg)
}

// rewitness proves the go command's saved tree head consistent with the
// tree head the lookups moved modseal's saved one to, when they moved it
// past the one checkLatest checked.
func (c *Client) rewitness() error {
	if (c.GoConfig == "" && len(c.Witnesses) == 0) || c.checked == nil {
		return nil
	}
	cur, err := c.readConfig(c.DB.Name + "/latest")
	if err != nil || len(cur) == 0 || bytes.Equal(cur, c.checked) {
		return nil
	}
	verifier, err := note.NewVerifier(c.DB.Key)
	if err != nil {
		return nil
	}
	verifiers := note.VerifierList(verifier)
	tree, err := openTree(cur, verifiers)
	if err != nil {
		return nil
	}
	return c.checkWitnesses(tree, cur, verifiers)
}

// openTree verifies the signed tree head msg and parses its tree.
func openTree(msg []byte, verifiers note.Verifiers) (tlog.Tree, error) {
	n, err := note.Open(msg, verifiers)
	if err != nil {
		return tlog.Tree{}, fmt.Errorf("signed note: %v", err)
	}
	return tlog.ParseTree([]byte(n.Text))
}

// checkTrees proves the trees old (what was seen before, described by
// what) and latest (what the database serves now) one history: the
// smaller is a prefix of the larger, by the larger's tiles, each tile
// authenticated against the larger's hash.
func (c *Client) checkTrees(what string, old tlog.Tree, oldMsg []byte, latest tlog.Tree, latestMsg []byte) error {
	if old == latest {
		return nil
	}
	older, newer := old, latest
	if older.N > newer.N {
		older, newer = newer, older
	}
	h, err := tlog.TreeHash(older.N, tlog.TileHashReader(newer, sumdbTiles{c}))
	if err != nil {
		if isMisbehavior(err) {
			return &verify.SecurityError{Msg: fmt.Sprintf("proving %s (tree#%d) consistent with the database's latest (tree#%d): %v", what, old.N, latest.N, err)}
		}
		return fmt.Errorf("proving %s (tree#%d) consistent with the database's latest (tree#%d): %v", what, old.N, latest.N, err)
	}
	if h == older.Hash {
		return nil
	}
	return &verify.SecurityError{Msg: fmt.Sprintf("%s (tree#%d) and the database's latest signed tree head (tree#%d) are not one history: tree#%d of the larger hashes to %v, the smaller says %v\nsaved:\n\t%s\nlatest:\n\t%s",
		what, old.N, latest.N, older.N, h, older.Hash,
		strings.ReplaceAll(strings.TrimSpace(string(oldMsg)), "\n", "\n\t"),
		strings.ReplaceAll(strings.TrimSpace(string(latestMsg)), "\n", "\n\t"))}
}

// excerpt quotes the start of untrusted data, at most 16 bytes, escaped.
func excerpt(data []byte) string {
	const max = 16
	s := string(data)
	if len(s) > max {
		return strconv.QuoteToASCII(s[:max]) + "..."
	}
	return strconv.QuoteToASCII(s)
}

// sumdbTiles is the tiles of the database as the sumdb client reads them
// (tlog.TileReader): from the caches, else the database, a missing
// partial tile from the full one; tiles saved once authenticated. It
// shares the client's caches, so the lookups that follow reuse them.
type sumdbTiles struct{ c *Client }

// tileHeight is the sumdb client's tile height.
const tileHeight = 8

func (r sumdbTiles) Height() int { return tileHeight }

func (r sumdbTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	data := make([][]byte, len(tiles))
	errs := make([]error, len(tiles))
	var wg sync.WaitGroup
	for i, t := range tiles {
		wg.Go(func() { data[i], errs[i] = r.readTile(t) })
	}
	wg.Wait()
	return data, errors.Join(errs...)
}

func (r sumdbTiles) readTile(t tlog.Tile) ([]byte, error) {
	name := r.c.DB.Name + "/" + t.Path()
	full := t
	full.W = 1 << uint(t.H)
	if data, err := r.c.readCache(name); err == nil {
		r.c.tilesCached.Store(t, true)
		return data, nil
	}
	if t != full {
		if data, err := r.c.readCache(r.c.DB.Name + "/" + full.Path()); err == nil && len(data) >= t.W*tlog.HashSize {
			r.c.tilesCached.Store(t, true)
			return data[:t.W*tlog.HashSize], nil
		}
	}
	data, err := r.c.readRemote("/" + t.Path())
	if err == nil {
		return data, nil
	}
	if t != full {
		if fdata, ferr := r.c.readRemote("/" + full.Path()); ferr == nil && len(fdata) >= t.W*tlog.HashSize {
			return fdata[:t.W*tlog.HashSize], nil
		}
	}
	return nil, err
}

func (r sumdbTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {
	for i, t := range tiles {
		if _, ok := r.c.tilesCached.Load(t); ok {
			continue // already in a cache
		}
		r.c.writeCache(r.c.DB.Name+"/"+t.Path(), data[i])
	}
}
