package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

func init() {
	commandHelp["list-modules"] = listModulesHelp
}

const listModulesHelp = `usage: modseal list-modules [--format text|json] [DIR]

List-modules prints the directory of each Go module (each go.mod) in DIR
(default .) and below, relative to DIR, slash-separated, one per line, in
sorted order; "." is DIR itself. It skips what the go command skips in
./... patterns: vendor/ and testdata/ directories, and directories whose
name starts with "." or "_"; it does not follow symbolic links. With
--format json it prints one line, a JSON array of the directories, for a
GitHub Actions matrix:

	echo "modules=$(modseal list-modules --format json)" >>"$GITHUB_OUTPUT"
	...
	strategy:
	  matrix:
	    module: ${{ fromJSON(needs.modules.outputs.modules) }}

A directory with a go.work and no go.mod is not a module and is not listed.
`

// runListModules implements "modseal list-modules".
func runListModules(ctx context.Context, args []string, stdout, stderr io.Writer, e env) error {
	fs := newFlagSet("list-modules", stderr)
	format := fs.String("format", "text", "output `format`: text|json")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return flagErr(err)
	}
	if len(pos) > 1 {
		return usageErr("list-modules takes one directory, got %d arguments: %s", len(pos), strings.Join(pos, " "))
	}
	if *format != "text" && *format != "json" {
		return usageErr("--format must be text or json for list-modules, got %q", *format)
	}
	dir := "."
	if len(pos) == 1 {
		dir = pos[0]
	}
	mods, err := listModules(dir)
	if err != nil {
		return err
	}
	if *format == "json" {
		if mods == nil {
			mods = []string{}
		}
		data, err := json.Marshal(mods)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", data)
		return err
	}
	for _, m := range mods {
		if _, err := fmt.Fprintln(stdout, m); err != nil {
			return err
		}
	}
	return nil
}
