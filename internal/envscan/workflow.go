package envscan

import (
	"strings"
)

// scanWorkflow reports the assignments of a GitHub Actions workflow: the
// keys of every env: mapping (the workflow's, a job's, a step's, a
// container's), block or flow style, and what the shell scripts of run:
// keys set (see scanShell). It reads YAML line by line, by indentation:
// anchors, aliases and multi-line plain scalars are not followed.
func scanWorkflow(s string) []Assignment {
	var out []Assignment
	emit := func(a Assignment) { out = append(out, a) }
	ls := lines(s)
	for i := 0; i < len(ls); i++ {
		col, key, val, ok := yamlKey(ls[i])
		if !ok {
			continue
		}
		switch key {
		case "env":
			switch {
			case strings.HasPrefix(val, "{"):
				flowMapping(val, i+1, emit)
			case val == "":
				i = envBlock(ls, i, col, emit) - 1
			}
		case "run":
			if blockIndicator(val) {
				text, end := blockScalar(ls, i+1, col)
				scanShell(text, i+2, emit)
				i = end - 1
			} else if val != "" {
				scanShell(yamlValue(val), i+1, emit)
			}
		}
	}
	return out
}

// envBlock reports the keys of the block mapping that follows line i,
// whose key is at column col, and returns the index of the first line
// after it.
func envBlock(ls []string, i, col int, emit func(Assignment)) int {
	child := -1
	j := i + 1
	for j < len(ls) {
		ind, blank := indent(ls[j])
		if blank {
			j++
			continue
		}
		if ind <= col {
			break
		}
		if child < 0 {
			child = ind
		}
		if ind != child {
			j++
			continue
		}
		c, k, v, ok := yamlKey(ls[j])
		if !ok || c != child || !isName(k) {
			j++
			continue
		}
		if blockIndicator(v) {
			text, end := blockScalar(ls, j+1, c)
			if strings.HasPrefix(v, ">") {
				text = strings.Join(strings.Fields(text), " ")
			} else if !strings.Contains(v, "+") {
				text = strings.TrimRight(text, "\n")
			}
			emit(Assignment{Name: k, Value: text, Line: j + 1})
			j = end
			continue
		}
		emit(Assignment{Name: k, Value: yamlValue(v), Line: j + 1})
		j++
	}
	return j
}

// flowMapping reports the keys of a one-line flow mapping {K: v, ...}.
func flowMapping(v string, line int, emit func(Assignment)) {
	v = strings.TrimPrefix(v, "{")
	for v != "" {
		// The next entry ends at a comma outside quotes.
		end, q := len(v), byte(0)
		for j := 0; j < len(v); j++ {
			switch c := v[j]; {
			case q != 0:
				if c == q {
					q = 0
				}
			case c == '"' || c == '\'':
				q = c
			case c == ',' || c == '}':
				end = j
			}
			if end != len(v) {
				break
			}
		}
		entry := v[:end]
		if end < len(v) {
			v = v[end+1:]
		} else {
			v = ""
		}
		k, val, ok := strings.Cut(entry, ":")
		if k = strings.TrimSpace(unquoteYAML(strings.TrimSpace(k))); ok && isName(k) {
			emit(Assignment{Name: k, Value: yamlValue(strings.TrimSpace(val)), Line: line})
		}
	}
}

// blockScalar returns the text of the block scalar starting at line i
// below a key at column col, its indentation removed, and the index of the
// first line after it.
func blockScalar(ls []string, i, col int) (string, int) {
	var b strings.Builder
	strip := -1
	j := i
	for ; j < len(ls); j++ {
		ind, blank := indent(ls[j])
		if blank {
			b.WriteByte('\n')
			continue
		}
		if ind <= col {
			break
		}
		if strip < 0 {
			strip = ind
		}
		if ind < strip {
			break
		}
		b.WriteString(ls[j][strip:])
		b.WriteByte('\n')
	}
	// Trailing blank lines belong to whatever follows.
	for j > i {
		if _, blank := indent(ls[j-1]); !blank {
			break
		}
		j--
	}
	return b.String(), j
}

// indent returns the number of leading spaces of l and whether l is blank
// or only a comment.
func indent(l string) (int, bool) {
	n := 0
	for n < len(l) && l[n] == ' ' {
		n++
	}
	rest := strings.TrimSpace(l[n:])
	return n, rest == "" || rest[0] == '#'
}

// yamlKey splits a line "[- ]...KEY: VALUE" into the column of the key,
// the key, and the value without its comment.
func yamlKey(l string) (col int, key, value string, ok bool) {
	col, blank := indent(l)
	if blank {
		return 0, "", "", false
	}
	for strings.HasPrefix(l[col:], "- ") || l[col:] == "-" {
		col += 2
		for col < len(l) && l[col] == ' ' {
			col++
		}
		if col >= len(l) {
			return 0, "", "", false
		}
	}
	rest := l[col:]
	var k string
	if rest[0] == '"' || rest[0] == '\'' {
		end := quotedEnd(rest)
		if end < 0 {
			return 0, "", "", false
		}
		k, rest = unquoteYAML(rest[:end]), rest[end:]
		if !strings.HasPrefix(rest, ":") {
			return 0, "", "", false
		}
		rest = rest[1:]
	} else {
		j := strings.Index(rest, ":")
		for j >= 0 && j+1 < len(rest) && rest[j+1] != ' ' && rest[j+1] != '\t' {
			n := strings.Index(rest[j+1:], ":")
			if n < 0 {
				j = -1
				break
			}
			j += 1 + n
		}
		if j <= 0 || strings.ContainsAny(rest[:j], " \t#") {
			return 0, "", "", false
		}
		k, rest = rest[:j], rest[j+1:]
	}
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return 0, "", "", false
	}
	return col, k, stripComment(strings.TrimSpace(rest)), true
}

// quotedEnd returns the index just after the quoted scalar at the start
// of s, or -1.
func quotedEnd(s string) int {
	q := s[0]
	for j := 1; j < len(s); j++ {
		switch {
		case q == '"' && s[j] == '\\':
			j++
		case s[j] == q && q == '\'' && j+1 < len(s) && s[j+1] == '\'':
			j++
		case s[j] == q:
			return j + 1
		}
	}
	return -1
}

// stripComment removes a trailing "# comment" from a scalar (not inside
// quotes).
func stripComment(v string) string {
	if v == "" {
		return v
	}
	if v[0] == '"' || v[0] == '\'' {
		if end := quotedEnd(v); end > 0 {
			return v[:end]
		}
		return v
	}
	if v[0] == '#' {
		return ""
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	if i := strings.Index(v, "\t#"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}

// yamlValue is the string a scalar spells: quotes and escapes removed, ~
// and null empty.
func yamlValue(v string) string {
	switch v {
	case "~", "null", "Null", "NULL":
		return ""
	}
	return unquoteYAML(v)
}

func unquoteYAML(v string) string {
	if len(v) < 2 {
		return v
	}
	switch {
	case v[0] == '\'' && v[len(v)-1] == '\'':
		return strings.ReplaceAll(v[1:len(v)-1], "''", "'")
	case v[0] == '"' && v[len(v)-1] == '"':
		var b strings.Builder
		s := v[1 : len(v)-1]
		for j := 0; j < len(s); j++ {
			if s[j] != '\\' || j+1 == len(s) {
				b.WriteByte(s[j])
				continue
			}
			j++
			switch s[j] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(s[j])
			}
		}
		return b.String()
	}
	return v
}

// blockIndicator reports whether a value starts a block scalar: | or >
// with optional chomping and indentation indicators.
func blockIndicator(v string) bool {
	if v == "" || v[0] != '|' && v[0] != '>' {
		return false
	}
	return strings.Trim(v[1:], "+-0123456789") == ""
}
