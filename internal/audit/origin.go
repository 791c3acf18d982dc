package audit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/sync/errgroup"

	"github.com/modseal/modseal/graph"
	"github.com/modseal/modseal/internal/modproxy"
	"github.com/modseal/modseal/verify"
)

// checkOrigin is the part of the audit that asks the module proxy what the
// authors say now: retracted (the latest go.mod retracts the selected
// version), deprecated (its module directive says Deprecated:), and
// origin-mismatch (a pseudo-version's timestamp and revision against the
// proxy's .info). All three are advisory: nothing the proxy answers here is
// covered by go.sum or the checksum database, so a module the proxy will not
// answer about is listed under skipped, never an audit failure.
var checkOrigin = []string{verify.RuleRetracted, verify.RuleDeprecated, verify.RuleOriginMismatch}

// requireLoc is where a main go.mod requires a module.
type requireLoc struct {
	file string
	line int
}

// originCheck asks the proxy about every module of the build list. A module
// the proxy does not answer about (any status, a timeout after the bounded
// retries, a malformed answer) is skipped with the reason; only a cancelled
// ctx is an error.
func originCheck(ctx context.Context, f *modproxy.Fetcher, list []graph.Module, requires map[string]requireLoc, opts Options) ([]verify.Finding, []verify.Skipped, error) {
	if opts.Offline {
		return nil, []verify.Skipped{{Check: "origin", Reason: "--offline: retractions, deprecations and pseudo-version origins were not checked"}}, nil
	}
	type job struct {
		mod  module.Version // what the proxy is asked about (the replacement, if any)
		path string         // the module path the main module requires
	}
	var jobs []job
	for _, m := range list {
		if m.Main || m.Version == "" {
			continue
		}
		target := module.Version{Path: m.Path, Version: m.Version}
		if m.Replace != nil {
			if m.Replace.Version == "" {
				continue // replaced by a directory: nothing published to ask about
			}
			target = module.Version{Path: m.Replace.Path, Version: m.Replace.Version}
		}
		jobs = append(jobs, job{target, m.Path})
	}

	type answer struct {
		findings []verify.Finding
		skip     string
		err      error
	}
	out := make([]answer, len(jobs))
	var eg errgroup.Group
	eg.SetLimit(sumdbConcurrency(opts.Jobs))
	for i, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		eg.Go(func() error {
			fs, skip, err := askAuthor(ctx, f, j.mod, requires[j.path], opts.Skip)
			out[i] = answer{fs, skip, err}
			return nil
		})
	}
	eg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	var findings []verify.Finding
	skips := make(map[string][]string)
	example := make(map[string]string) // reason → the first error behind it
	for i, o := range out {
		skip := o.skip
		if o.err != nil {
			skip = proxyErrReason(o.err)
			if _, ok := example[skip]; !ok {
				example[skip] = oneLine(o.err)
			}
		}
		if skip != "" {
			skips[skip] = append(skips[skip], jobs[i].mod.String())
		}
		findings = append(findings, o.findings...)
	}
	var skipped []verify.Skipped
	for reason, mods := range skips {
		msg := fmt.Sprintf("%d module(s) not checked: %s: %s", len(mods), reason, listSome(mods, 5))
		if len(mods) == len(jobs) && len(jobs) > 1 {
			msg = fmt.Sprintf("no module checked (%d): %s", len(mods), reason)
		}
		if ex := example[reason]; ex != "" {
			msg += " (first error: " + ex + ")"
		}
		skipped = append(skipped, verify.Skipped{Check: "origin", Reason: msg})
	}
	slices.SortFunc(skipped, func(a, b verify.Skipped) int { return strings.Compare(a.Reason, b.Reason) })
	return findings, skipped, nil
}

// askAuthor checks one module version against what its proxy publishes.
func askAuthor(ctx context.Context, f *modproxy.Fetcher, m module.Version, loc requireLoc, skip map[string]bool) ([]verify.Finding, string, error) {
	var ue *modproxy.UnavailableError
	var findings []verify.Finding
	skipReason := ""
	add := func(rule, format string, args ...any) {
		file := loc.file
		if file == "" {
			file = "go.mod"
		}
		fd := verify.NewFinding(rule, file, loc.line, format, args...)
		fd.Module, fd.Version = m.Path, m.Version
		findings = append(findings, fd)
	}

	if !skip[verify.RuleRetracted] || !skip[verify.RuleDeprecated] {
		versions, err := f.Versions(ctx, m.Path)
		switch {
		case errors.As(err, &ue):
			return nil, ue.Reason, nil
		case errors.Is(err, fs.ErrNotExist):
			versions = nil
		case err != nil:
			return nil, "", err
		}
		latest := modproxy.LatestVersion(versions)
		if latest == "" {
			// No tagged version: the go command asks @latest.
			info, err := f.Latest(ctx, m.Path)
			switch {
			case errors.As(err, &ue):
				// Recorded; the pseudo-version check below does not need @latest.
				skipReason = "no tagged version, and no proxy answers @latest (the go command would ask version control, which modseal does not)"
			case errors.Is(err, fs.ErrNotExist):
			case err != nil:
				return nil, "", err
			default:
				latest = info.Version
			}
		}
		var data []byte
		if latest != "" {
			data, err = f.GoMod(ctx, module.Version{Path: m.Path, Version: latest})
			switch {
			case errors.As(err, &ue):
				skipReason = "the go.mod of its latest version is not available from a proxy"
			case err != nil:
				return nil, "", err
			}
		}
		if data != nil {
			notice, err := verify.ParseAuthorNotice(latest, data)
			if err != nil {
				return nil, "the go.mod of its latest version, as the proxy serves it, does not parse", nil
			}
			if rs := notice.RetractedBy(m.Version); len(rs) > 0 && !skip[verify.RuleRetracted] {
				var whys []string
				for _, r := range rs {
					if r.Rationale != "" && !slices.Contains(whys, r.Rationale) {
						whys = append(whys, r.Rationale)
					}
				}
				why := strings.Join(whys, "; ")
				if why == "" {
					why = "no rationale given"
				}
				add(verify.RuleRetracted, "%s is retracted by its author (go.mod of %s): %s; move to a version that is not retracted", m, latest, why)
			}
			if notice.Deprecated != "" && !skip[verify.RuleDeprecated] {
				add(verify.RuleDeprecated, "%s is deprecated by its author (go.mod of %s): %s", m.Path, latest, notice.Deprecated)
			}
		}
	}

	if module.IsPseudoVersion(m.Version) && !skip[verify.RuleOriginMismatch] {
		info, err := f.Stat(ctx, m)
		switch {
		case errors.As(err, &ue):
			return findings, ue.Reason, nil
		case err != nil:
			return nil, "", err
		}
		hash := ""
		if info.Origin != nil {
			hash = info.Origin.Hash
		}
		if err := verify.CheckPseudoOrigin(m.Version, info.Time, hash); err != nil {
			add(verify.RuleOriginMismatch, "%s: the proxy's .info disagrees with the pseudo-version: %v; "+
				".info is not covered by go.sum or the checksum database and the go command does not check it when it uses a proxy, "+
				"so confirm from version control (the commit's time in UTC and its hash) before acting", m, err)
		}
	}
	return findings, skipReason, nil
}

// proxyErrReason groups failed proxy requests (of the origin check, and of
// the hash check's downloads) for the skipped list: by the proxy's status,
// else as no answer.
func proxyErrReason(err error) string {
	var re *modproxy.RequestError
	switch {
	case errors.As(err, &re) && re.StatusCode != 0:
		return fmt.Sprintf("the module proxy answered %d %s", re.StatusCode, http.StatusText(re.StatusCode))
	case errors.As(err, &re):
		return "the module proxy did not answer"
	}
	return "the module proxy's answer could not be used"
}
