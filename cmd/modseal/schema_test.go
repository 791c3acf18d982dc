package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rogpeppe/go-internal/txtar"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/modseal/modseal/graph"
	"github.com/modseal/modseal/internal/report"
	"github.com/modseal/modseal/verify"
)

// The published JSON Schemas (docs/schemas) of the two documents modseal
// writes, by the schema id the documents carry.
var schemaFiles = map[string]string{
	report.Schema:        "report.v1.schema.json",
	graph.SnapshotSchema: "graph.v1.schema.json",
}

var (
	schemasOnce sync.Once
	schemas     map[string]*jsonschema.Schema
	schemasErr  error
)

// loadSchemas compiles the published schemas once per test process, with
// format assertions on.
func loadSchemas() (map[string]*jsonschema.Schema, error) {
	schemasOnce.Do(func() {
		schemas = make(map[string]*jsonschema.Schema)
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		for id, name := range schemaFiles {
			file, err := filepath.Abs(filepath.Join("..", "..", "docs", "schemas", name))
			if err != nil {
				schemasErr = err
				return
			}
			sch, err := c.Compile(file)
			if err != nil {
				schemasErr = err
				return
			}
			schemas[id] = sch
		}
	})
	return schemas, schemasErr
}

// validateDoc validates a JSON document against the schema its "schema"
// field names, and returns that id.
func validateDoc(data []byte) (string, error) {
	schs, err := loadSchemas()
	if err != nil {
		return "", err
	}
	var head struct{ Schema string }
	if err := json.Unmarshal(data, &head); err != nil {
		return "", err
	}
	sch := schs[head.Schema]
	if sch == nil {
		return head.Schema, &unknownSchemaError{head.Schema}
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return head.Schema, err
	}
	return head.Schema, sch.Validate(doc)
}

type unknownSchemaError struct{ id string }

func (e *unknownSchemaError) Error() string {
	return "no published schema for schema id " + strconv.Quote(e.id)
}

// schemaValid KIND FILE, a script command: FILE is a JSON document of the
// schema KIND (report: modseal/report/v1, graph: modseal/graph/v1) and is
// valid against the published schema. Scripts run it on what the modseal
// binary wrote.
func schemaValid(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: schema-valid report|graph FILE")
	}
	want := map[string]string{"report": report.Schema, "graph": graph.SnapshotSchema}[args[0]]
	if want == "" {
		ts.Fatalf("schema-valid: unknown kind %q (report or graph)", args[0])
	}
	data, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	id, err := validateDoc(data)
	if err == nil && id != want {
		err = &unknownSchemaError{id}
	}
	switch {
	case err != nil && !neg:
		ts.Fatalf("%s is not a valid %s document: %v", args[1], want, err)
	case err == nil && neg:
		ts.Fatalf("%s is a valid %s document", args[1], want)
	}
}

// goldenDocs returns the JSON documents of the published schemas that the
// script tests compare modseal's real output with (the second argument of
// a cmp whose first is stdout, stderr or a file modseal wrote), by
// "script.txtar/file".
func goldenDocs(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "script", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	docs := make(map[string][]byte)
	for _, file := range files {
		a, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		targets := make(map[string]bool)
		for _, line := range strings.Split(string(a.Comment), "\n") {
			f := strings.Fields(line)
			if len(f) == 3 && f[0] == "cmp" {
				targets[f[2]] = true
			}
		}
		for _, f := range a.Files {
			var head struct{ Schema string }
			if !targets[f.Name] || json.Unmarshal(f.Data, &head) != nil || schemaFiles[head.Schema] == "" {
				continue
			}
			docs[filepath.Base(file)+"/"+f.Name] = f.Data
		}
	}
	return docs
}

// TestSchemaGoldens: every report and snapshot the script tests hold as
// modseal's expected output is valid against the published schema. The
// scripts (ship_d_schema among them) run the binary on real modules and
// compare byte for byte; schema-valid checks the rest of their output.
func TestSchemaGoldens(t *testing.T) {
	docs := goldenDocs(t)
	count := make(map[string]int)
	for _, name := range slices.Sorted(maps.Keys(docs)) {
		id, err := validateDoc(docs[name])
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		count[id]++
	}
	for id := range schemaFiles {
		if count[id] == 0 {
			t.Errorf("no golden %s document in testdata/script: the schema is checked against nothing", id)
		}
	}
}

// TestSchemaRejects: the schemas are strict enough to refuse a document
// with a field of the wrong type, a missing required field or a value out
// of its domain: each mutation of a real document must fail.
func TestSchemaRejects(t *testing.T) {
	docs := goldenDocs(t)
	reportDoc := docs["cli_report_formats.txtar/want.json"]
	graphDoc := docs["snapshot_determinism.txtar/want.json"]
	if reportDoc == nil || graphDoc == nil {
		t.Fatal("the golden documents this test mutates are gone from testdata/script")
	}
	for _, tc := range []struct {
		name   string
		doc    []byte
		mutate func(m map[string]any)
	}{
		{"report/schema id", reportDoc, func(m map[string]any) { m["schema"] = "modseal/report/v2" }},
		{"report/no findings", reportDoc, func(m map[string]any) { delete(m, "findings") }},
		{"report/no summary", reportDoc, func(m map[string]any) { delete(m, "summary") }},
		{"report/no skipped", reportDoc, func(m map[string]any) { delete(m, "skipped") }},
		{"report/no tool version", reportDoc, func(m map[string]any) { delete(m["tool"].(map[string]any), "version") }},
		{"report/findings null", reportDoc, func(m map[string]any) { m["findings"] = nil }},
		{"report/count as string", reportDoc, func(m map[string]any) { m["summary"].(map[string]any)["errors"] = "1" }},
		{"report/negative count", reportDoc, func(m map[string]any) { m["summary"].(map[string]any)["notes"] = -1 }},
		{"report/no summary.verified", reportDoc, func(m map[string]any) { delete(m["summary"].(map[string]any), "verified") }},
		{"report/line as string", reportDoc, func(m map[string]any) { finding(m, 0)["line"] = "9" }},
		{"report/line 0", reportDoc, func(m map[string]any) { finding(m, 0)["line"] = 0 }},
		{"report/no rule", reportDoc, func(m map[string]any) { delete(finding(m, 0), "rule") }},
		{"report/no message", reportDoc, func(m map[string]any) { delete(finding(m, 1), "message") }},
		{"report/bad severity", reportDoc, func(m map[string]any) { finding(m, 0)["severity"] = "fatal" }},
		{"report/want empty", reportDoc, func(m map[string]any) { finding(m, 1)["want"] = "" }},
		{"report/skipped without reason", reportDoc, func(m map[string]any) {
			delete(m["skipped"].([]any)[0].(map[string]any), "reason")
		}},
		{"report/bad digest", reportDoc, func(m map[string]any) { m["graph_digest"] = "sha256:XYZ" }},
		{"graph/schema id", graphDoc, func(m map[string]any) { m["schema"] = "modseal/graph/v9" }},
		{"graph/no edges", graphDoc, func(m map[string]any) { delete(m, "edges") }},
		{"graph/no content digest", graphDoc, func(m map[string]any) { delete(m, "content_digest") }},
		{"graph/go as number", graphDoc, func(m map[string]any) { m["go"] = 1.21 }},
		{"graph/no modules", graphDoc, func(m map[string]any) { m["modules"] = []any{} }},
		{"graph/indirect as string", graphDoc, func(m map[string]any) { module(m, 0)["indirect"] = "false" }},
		{"graph/no gomod_sum", graphDoc, func(m map[string]any) { delete(module(m, 0), "gomod_sum") }},
		{"graph/no platforms", graphDoc, func(m map[string]any) { delete(module(m, 0), "platforms") }},
		{"graph/bad hash", graphDoc, func(m map[string]any) { module(m, 0)["sum"] = "h2:abc" }},
		{"graph/bad platform", graphDoc, func(m map[string]any) { module(m, 0)["platforms"] = []any{"linux"} }},
		{"graph/bad edge", graphDoc, func(m map[string]any) { m["edges"] = []any{"a b c"} }},
		{"graph/replace without path", graphDoc, func(m map[string]any) { module(m, 0)["replace"] = map[string]any{"version": "v1.0.0"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(tc.doc, &m); err != nil {
				t.Fatal(err)
			}
			// The document is valid before the mutation.
			if _, err := validateDoc(tc.doc); err != nil {
				t.Fatalf("the unmutated document is not valid: %v", err)
			}
			tc.mutate(m)
			data, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := validateDoc(data); err == nil {
				t.Errorf("the schema accepts the mutated document:\n%s", data)
			}
		})
	}
}

func finding(m map[string]any, i int) map[string]any {
	return m["findings"].([]any)[i].(map[string]any)
}

func module(m map[string]any, i int) map[string]any {
	return m["modules"].([]any)[i].(map[string]any)
}

// TestSchemaFields: each schema describes exactly the fields modseal's types
// encode, and requires those that are always written (no omitempty). A field
// added to the report or the snapshot without its schema fails here.
func TestSchemaFields(t *testing.T) {
	type object struct {
		typ  reflect.Type
		path []string // JSON pointer tokens into the schema file of its description
	}
	for _, tc := range []struct {
		file    string
		objects []object
	}{
		{"report.v1.schema.json", []object{
			{reflect.TypeFor[report.Report](), nil},
			{reflect.TypeFor[report.Tool](), []string{"properties", "tool"}},
			{reflect.TypeFor[report.Summary](), []string{"properties", "summary"}},
			{reflect.TypeFor[verify.Finding](), []string{"$defs", "finding"}},
			{reflect.TypeFor[verify.Skipped](), []string{"$defs", "skipped"}},
		}},
		{"graph.v1.schema.json", []object{
			{reflect.TypeFor[graph.Snapshot](), nil},
			{reflect.TypeFor[graph.SnapshotModule](), []string{"$defs", "module"}},
			{reflect.TypeFor[graph.Replacement](), []string{"$defs", "module", "properties", "replace"}},
		}},
	} {
		data, err := os.ReadFile(filepath.Join("..", "..", "docs", "schemas", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		var root map[string]any
		if err := json.Unmarshal(data, &root); err != nil {
			t.Fatal(err)
		}
		for _, o := range tc.objects {
			node := root
			for _, tok := range o.path {
				node, _ = node[tok].(map[string]any)
			}
			if node == nil {
				t.Errorf("%s: no schema at %s", tc.file, strings.Join(o.path, "/"))
				continue
			}
			if node["type"] != "object" {
				t.Errorf("%s: %s: type %v, want object", tc.file, strings.Join(o.path, "/"), node["type"])
			}
			props, _ := node["properties"].(map[string]any)
			var required []string
			for _, r := range node["required"].([]any) {
				required = append(required, r.(string))
			}
			var fields, always []string
			for f := range o.typ.Fields() {
				name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
				if !f.IsExported() || name == "-" {
					continue
				}
				fields = append(fields, name)
				if !strings.Contains(opts, "omitempty") {
					always = append(always, name)
				}
			}
			names := slices.Sorted(maps.Keys(props))
			slices.Sort(fields)
			slices.Sort(required)
			slices.Sort(always)
			if !slices.Equal(names, fields) {
				t.Errorf("%s: %s describes the fields %v; %s encodes %v", tc.file, "/"+strings.Join(o.path, "/"), names, o.typ, fields)
			}
			if !slices.Equal(required, always) {
				t.Errorf("%s: %s requires %v; %s always writes %v", tc.file, "/"+strings.Join(o.path, "/"), required, o.typ, always)
			}
		}
	}
}
