package envscan

import (
	"regexp"
	"strings"
)

// makeAssign matches a make variable assignment, with its modifiers.
var makeAssign = regexp.MustCompile(`^\s*((?:(?:export|override|private)\s+)*)([A-Za-z_][A-Za-z0-9_]*)\s*(\?=|:::=|::=|:=|\+=|!=|=)\s*(.*?)\s*$`)

// makeDirectives are the first words of make lines that neither assign
// nor start a rule.
var makeDirectives = map[string]bool{
	"ifeq": true, "ifneq": true, "ifdef": true, "ifndef": true, "else": true, "endif": true,
	"include": true, "-include": true, "sinclude": true, "vpath": true, "unexport": true,
}

// scanMakefile reports the assignments of a Makefile: K = V, K := V,
// K ?= V, K += V (what it appends), K ::= V, with export, override or
// private, also target-specific (target: K = V), and what the shell of
// recipe lines (and of "target: ; recipe") sets. define blocks are
// skipped; != assigns a command's output, which is not known.
func scanMakefile(s string) []Assignment {
	var out []Assignment
	emit := func(a Assignment) { out = append(out, a) }
	assign := func(m []string, line int) {
		name, op, value := m[2], m[3], m[4]
		switch op {
		case "!=":
			return
		case "+=":
			value = "$(" + name + ") " + value
		}
		emit(Assignment{Name: name, Value: value, Line: line})
	}
	ls := lines(s)
	inRule, define := false, 0
	for i := 0; i < len(ls); {
		start := i
		if strings.HasPrefix(ls[i], "\t") && inRule && define == 0 {
			var b strings.Builder
			for i < len(ls) {
				l := ls[i]
				i++
				if i-1 > start {
					l = strings.TrimPrefix(l, "\t")
				}
				b.WriteString(l)
				b.WriteByte('\n')
				if !oddBackslash(l) {
					break
				}
			}
			scanShell(strings.TrimLeft(b.String(), "\t @+-"), start+1, emit)
			continue
		}
		var b strings.Builder
		for i < len(ls) {
			l := ls[i]
			i++
			if !oddBackslash(l) {
				b.WriteString(l)
				break
			}
			b.WriteString(l[:len(l)-1])
			b.WriteByte(' ')
		}
		text := b.String()
		first, _ := cutWord(strings.TrimSpace(text))
		if define > 0 {
			switch first {
			case "endef":
				define--
			case "define":
				define++
			}
			continue
		}
		text = stripMakeComment(text)
		if strings.TrimSpace(text) == "" {
			continue
		}
		first, _ = cutWord(strings.TrimSpace(text))
		if isDefine(text) {
			define++
			continue
		}
		if makeDirectives[first] {
			continue
		}
		if m := makeAssign.FindStringSubmatch(text); m != nil {
			inRule = false
			assign(m, start+1)
			continue
		}
		if j := ruleColon(text); j >= 0 {
			inRule = true
			rest := strings.TrimPrefix(text[j+1:], ":")
			if m := makeAssign.FindStringSubmatch(rest); m != nil {
				assign(m, start+1)
				continue
			}
			if k := strings.IndexByte(rest, ';'); k >= 0 {
				scanShell(rest[k+1:], start+1, emit)
			}
		}
	}
	return out
}

// isDefine reports whether a make line starts a define block (define,
// possibly after export, override or private).
func isDefine(l string) bool {
	w, rest := cutWord(strings.TrimSpace(l))
	for w == "export" || w == "override" || w == "private" {
		w, rest = cutWord(strings.TrimSpace(rest))
	}
	return w == "define"
}

// oddBackslash reports whether l ends in an odd number of backslashes: a
// continued line.
func oddBackslash(l string) bool {
	n := 0
	for n < len(l) && l[len(l)-1-n] == '\\' {
		n++
	}
	return n%2 == 1
}

// stripMakeComment removes a comment (an unescaped #) from a make line.
func stripMakeComment(l string) string {
	for i := 0; i < len(l); i++ {
		switch l[i] {
		case '\\':
			i++
		case '#':
			return l[:i]
		}
	}
	return l
}

// ruleColon returns the index of the colon that separates a rule's
// targets from its prerequisites, outside $(...) and ${...}; -1 if none.
func ruleColon(l string) int {
	depth := 0
	for i := 0; i < len(l); i++ {
		switch l[i] {
		case '(', '{':
			depth++
		case ')', '}':
			depth--
		case ':':
			if depth == 0 && (i+1 == len(l) || l[i+1] != '=') {
				return i
			}
		}
	}
	return -1
}
