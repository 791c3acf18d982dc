package envscan

import (
	"encoding/json"
	"regexp"
	"strings"
)

// heredocOp matches a here-document operator of a RUN instruction.
var heredocOp = regexp.MustCompile(`<<(-?)\s*(["']?)([A-Za-z_][A-Za-z0-9_]*)["']?`)

// scanDockerfile reports the assignments of a Dockerfile: ENV K=V ... and
// the legacy ENV K V, ARG K=DEFAULT, and what the shell of RUN sets (shell
// form, the exec form ["sh", "-c", SCRIPT], a here-document script).
// Continuation lines (the escape directive's character, \ by default) and
// comment lines inside them are handled as Docker does; ONBUILD is seen
// through.
func scanDockerfile(s string) []Assignment {
	var out []Assignment
	emit := func(a Assignment) { out = append(out, a) }
	ls := lines(s)
	escape := byte('\\')
	for _, l := range ls {
		t := strings.TrimSpace(l)
		if !strings.HasPrefix(t, "#") {
			break
		}
		k, v, ok := strings.Cut(strings.TrimSpace(t[1:]), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "escape") && len(strings.TrimSpace(v)) == 1 {
			escape = strings.TrimSpace(v)[0]
		}
	}
	for i := 0; i < len(ls); {
		t := strings.TrimSpace(ls[i])
		if t == "" || t[0] == '#' {
			i++
			continue
		}
		start := i
		var b strings.Builder
		for i < len(ls) {
			l := ls[i]
			i++
			if i-1 > start {
				if t := strings.TrimSpace(l); t != "" && t[0] == '#' {
					b.WriteString("\\\n") // a comment line inside an instruction is dropped
					continue
				}
			}
			tr := strings.TrimRight(l, " \t")
			if tr != "" && tr[len(tr)-1] == escape {
				b.WriteString(tr[:len(tr)-1])
				b.WriteString("\\\n")
				continue
			}
			b.WriteString(l)
			b.WriteByte('\n')
			break
		}
		text := strings.TrimLeft(b.String(), " \t")
		inst, args := cutWord(text)
		if strings.EqualFold(inst, "ONBUILD") {
			inst, args = cutWord(strings.TrimLeft(args, " \t"))
		}
		switch strings.ToUpper(inst) {
		case "ENV":
			words := plainWords(args, start+1)
			if len(words) == 0 {
				break
			}
			if words[0].name == 0 {
				var rest []string
				for _, w := range words[1:] {
					rest = append(rest, w.text)
				}
				if isName(words[0].text) && len(rest) > 0 {
					emit(Assignment{Name: words[0].text, Value: strings.Join(rest, " "), Line: words[0].line})
				}
				break
			}
			for _, w := range words {
				if w.name > 0 {
					emit(Assignment{Name: w.text[:w.name], Value: w.text[w.name+1:], Line: w.line})
				}
			}
		case "ARG":
			for _, w := range plainWords(args, start+1) {
				if w.name > 0 {
					emit(Assignment{Name: w.text[:w.name], Value: w.text[w.name+1:], Line: w.line})
				}
			}
		case "RUN":
			script := strings.TrimLeft(args, " \t")
			for strings.HasPrefix(script, "--") {
				_, script = cutWord(script)
				script = strings.TrimLeft(script, " \t")
			}
			if strings.HasPrefix(script, "[") {
				var argv []string
				if json.Unmarshal([]byte(strings.TrimSpace(strings.ReplaceAll(script, "\\\n", ""))), &argv) == nil &&
					len(argv) >= 3 && strings.HasSuffix(argv[0], "sh") && argv[1] == "-c" {
					scanShell(argv[2], start+1, emit)
				}
				break
			}
			// Here-documents: their bodies follow the instruction. A RUN
			// that is only a here-document runs its body as the script.
			ops := heredocOp.FindAllStringSubmatch(script, -1)
			scanShell(heredocOp.ReplaceAllString(script, ""), start+1, emit)
			for n, op := range ops {
				bodyStart := i
				var body strings.Builder
				for i < len(ls) {
					l := ls[i]
					i++
					if op[1] == "-" {
						l = strings.TrimLeft(l, "\t")
					}
					if l == op[3] {
						break
					}
					body.WriteString(l)
					body.WriteByte('\n')
				}
				if n == 0 && strings.TrimSpace(script) == op[0] {
					scanShell(body.String(), bodyStart+1, emit)
				}
			}
		}
	}
	return out
}

// cutWord splits s at its first space or tab.
func cutWord(s string) (string, string) {
	if i := strings.IndexAny(s, " \t\n"); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

// plainWords splits Dockerfile arguments into words: quotes and escapes
// as the shell has them, no operators; line continuations (\ newline)
// already normalised.
func plainWords(s string, line int) []word {
	var words []word
	var w strings.Builder
	in, quoted, name, wline := false, false, 0, line
	end := func() {
		if in {
			words = append(words, word{text: w.String(), line: wline, name: name})
		}
		in, quoted, name = false, false, 0
		w.Reset()
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && s[i+1] == '\n' {
			i++
			line++
			end()
			continue
		}
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			end()
			if c == '\n' {
				line++
			}
			continue
		}
		if !in {
			in, wline = true, line
		}
		switch c {
		case '\\':
			quoted = true
			if i+1 < len(s) {
				i++
				w.WriteByte(s[i])
			}
		case '\'', '"':
			quoted = true
			for i++; i < len(s) && s[i] != c; i++ {
				if c == '"' && s[i] == '\\' && i+1 < len(s) && s[i+1] == '"' {
					i++
				}
				if s[i] == '\n' {
					line++
				}
				w.WriteByte(s[i])
			}
		case '=':
			if name == 0 && !quoted && isName(w.String()) {
				name = w.Len()
			}
			w.WriteByte(c)
		default:
			w.WriteByte(c)
		}
	}
	end()
	return words
}
