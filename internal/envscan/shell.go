package envscan

import (
	"path"
	"strings"
)

// A word is one shell word, quotes and escapes removed; expansions kept
// as written.
type word struct {
	text string
	line int
	// name is the length of NAME when the word starts with NAME= written
	// without quotes or escapes (an assignment to the shell), else 0.
	name int
}

type redirect struct {
	op     string
	target word
}

// A command is one simple command: its words and redirections.
type command struct {
	words  []word
	redirs []redirect
	pipe   bool // its output goes to the next command (|)
}

type heredoc struct {
	delim string
	strip bool // <<-: leading tabs removed
	cmd   int  // index of its command in the line's commands
}

// shellScanner tokenizes shell text: POSIX quoting, escapes, comments,
// operators, redirections and here-documents, enough to find the
// variables a script sets. It never expands or runs anything, and every
// step consumes input, so it is linear in the text whatever the text.
type shellScanner struct {
	s    string
	i    int
	line int
	emit func(Assignment)

	cmds    []command // the commands of the current line, for pipes and here-documents
	cur     command
	w       strings.Builder
	inWord  bool
	wLine   int
	wName   int
	wQuoted bool // a quote or escape seen in the current word
	pending []heredoc
}

// scanShell reports the assignments of shell text s whose first line is
// line: NAME=VALUE words before a command or alone, after export (declare,
// typeset, local, readonly) and env, in go env -w, and NAME=VALUE lines
// written to $GITHUB_ENV (echo, printf, a here-document; through tee).
func scanShell(s string, line int, emit func(Assignment)) {
	sc := &shellScanner{s: s, line: line, emit: emit}
	sc.run()
}

func (sc *shellScanner) run() {
	for sc.i < len(sc.s) {
		c := sc.s[sc.i]
		switch {
		case c == '\\' && sc.i+1 < len(sc.s) && sc.s[sc.i+1] == '\n':
			sc.i += 2
			sc.line++
		case c == '\\' && sc.i+2 < len(sc.s) && sc.s[sc.i+1] == '\r' && sc.s[sc.i+2] == '\n':
			sc.i += 3
			sc.line++
		case c == ' ' || c == '\t' || c == '\r':
			sc.endWord()
			sc.i++
		case c == '\n':
			sc.endWord()
			sc.endCommand(false)
			sc.i++
			sc.line++
			sc.endLine()
		case c == '#' && !sc.inWord:
			for sc.i < len(sc.s) && sc.s[sc.i] != '\n' {
				sc.i++
			}
		case c == ';' || c == '&' || c == '|' || c == '(' || c == ')':
			sc.endWord()
			pipe := c == '|' && (sc.i+1 >= len(sc.s) || sc.s[sc.i+1] != '|')
			if c == '&' && sc.i+1 < len(sc.s) && sc.s[sc.i+1] == '>' {
				// &> file, &>> file
				sc.i++
				sc.redirect()
				continue
			}
			sc.i++
			if sc.i < len(sc.s) && (sc.s[sc.i] == c || c == '|' && sc.s[sc.i] == '&') {
				sc.i++
			}
			sc.endCommand(pipe)
		case c == '<' || c == '>':
			if sc.inWord && sc.wName == 0 && !sc.wQuoted && isDigits(sc.w.String()) {
				sc.w.Reset() // 2>, the descriptor is no word
				sc.inWord = false
			}
			sc.endWord()
			sc.redirect()
		default:
			sc.wordChar()
		}
	}
	sc.endWord()
	sc.endCommand(false)
	sc.endLine()
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func (sc *shellScanner) startWord() {
	if !sc.inWord {
		sc.inWord = true
		sc.wLine = sc.line
		sc.wName = 0
		sc.wQuoted = false
		sc.w.Reset()
	}
}

func (sc *shellScanner) endWord() {
	if !sc.inWord {
		return
	}
	sc.inWord = false
	sc.cur.words = append(sc.cur.words, word{text: sc.w.String(), line: sc.wLine, name: sc.wName})
}

// wordChar consumes the next part of a word: a character, an escape, a
// quoted string or an expansion.
func (sc *shellScanner) wordChar() {
	sc.startWord()
	c := sc.s[sc.i]
	switch c {
	case '\\':
		sc.wQuoted = true
		sc.i++
		if sc.i < len(sc.s) {
			if sc.s[sc.i] == '\n' {
				sc.line++
			}
			sc.w.WriteByte(sc.s[sc.i])
			sc.i++
		}
	case '\'':
		sc.wQuoted = true
		sc.i++
		for sc.i < len(sc.s) && sc.s[sc.i] != '\'' {
			sc.char()
		}
		sc.i++
	case '"':
		sc.wQuoted = true
		sc.i++
		for sc.i < len(sc.s) && sc.s[sc.i] != '"' {
			switch sc.s[sc.i] {
			case '\\':
				if sc.i+1 < len(sc.s) && strings.IndexByte("$`\"\\\n", sc.s[sc.i+1]) >= 0 {
					sc.i++
					if sc.s[sc.i] == '\n' {
						sc.i++
						sc.line++
						continue
					}
				}
				sc.char()
			case '$', '`':
				sc.expansion()
			default:
				sc.char()
			}
		}
		sc.i++
	case '$', '`':
		sc.expansion()
	case '=':
		if sc.wName == 0 && !sc.wQuoted && isName(sc.w.String()) {
			sc.wName = sc.w.Len()
		}
		sc.char()
	default:
		sc.char()
	}
}

// char copies one byte to the word, counting lines.
func (sc *shellScanner) char() {
	if sc.s[sc.i] == '\n' {
		sc.line++
	}
	sc.w.WriteByte(sc.s[sc.i])
	sc.i++
}

// expansion copies $NAME, ${...}, $(...), $((...)) or `...` to the word as
// written.
func (sc *shellScanner) expansion() {
	if sc.s[sc.i] == '`' {
		sc.char()
		for sc.i < len(sc.s) && sc.s[sc.i] != '`' {
			if sc.s[sc.i] == '\\' && sc.i+1 < len(sc.s) {
				sc.char()
			}
			sc.char()
		}
		if sc.i < len(sc.s) {
			sc.char()
		}
		return
	}
	sc.char() // $
	if sc.i >= len(sc.s) {
		return
	}
	switch open := sc.s[sc.i]; open {
	case '(', '{':
		close := byte(')')
		if open == '{' {
			close = '}'
		}
		depth := 0
		for sc.i < len(sc.s) {
			c := sc.s[sc.i]
			switch {
			case c == '\\' && sc.i+1 < len(sc.s):
				sc.char()
			case c == '\'' && open == '(':
				sc.char()
				for sc.i < len(sc.s) && sc.s[sc.i] != '\'' {
					sc.char()
				}
			case c == open:
				depth++
			case c == close:
				depth--
			}
			if sc.i < len(sc.s) {
				sc.char()
			}
			if depth == 0 {
				return
			}
		}
	default:
		for sc.i < len(sc.s) && (isName(sc.s[sc.i:sc.i+1]) || '0' <= sc.s[sc.i] && sc.s[sc.i] <= '9') {
			sc.char()
		}
	}
}

// redirect consumes a redirection operator and its target word.
func (sc *shellScanner) redirect() {
	start := sc.i
	for sc.i < len(sc.s) && strings.IndexByte("<>&|-", sc.s[sc.i]) >= 0 && sc.i-start < 3 {
		sc.i++
	}
	op := sc.s[start:sc.i]
	for sc.i < len(sc.s) && (sc.s[sc.i] == ' ' || sc.s[sc.i] == '\t') {
		sc.i++
	}
	if sc.i >= len(sc.s) || strings.IndexByte("\n;&|()<>", sc.s[sc.i]) >= 0 {
		return
	}
	// The target is one word.
	saved := sc.cur.words
	sc.cur.words = nil
	for sc.i < len(sc.s) && strings.IndexByte(" \t\r\n;&|()<>", sc.s[sc.i]) < 0 {
		if sc.s[sc.i] == '\\' && sc.i+1 < len(sc.s) && sc.s[sc.i+1] == '\n' {
			break
		}
		sc.wordChar()
	}
	sc.endWord()
	var target word
	if len(sc.cur.words) > 0 {
		target = sc.cur.words[0]
	}
	sc.cur.words = saved
	sc.cur.redirs = append(sc.cur.redirs, redirect{op: op, target: target})
	if strings.HasPrefix(op, "<<") && op != "<<<" {
		sc.pending = append(sc.pending, heredoc{delim: target.text, strip: op == "<<-", cmd: len(sc.cmds)})
	}
}

func (sc *shellScanner) endCommand(pipe bool) {
	if len(sc.cur.words) == 0 && len(sc.cur.redirs) == 0 {
		if pipe && len(sc.cmds) > 0 {
			sc.cmds[len(sc.cmds)-1].pipe = true
		}
		sc.cur = command{}
		return
	}
	sc.cur.pipe = pipe
	sc.cmds = append(sc.cmds, sc.cur)
	sc.cur = command{}
}

// endLine handles the commands of a finished line, then reads the bodies
// of its here-documents.
func (sc *shellScanner) endLine() {
	cmds := sc.cmds
	sc.cmds = nil
	for i := range cmds {
		sc.command(cmds, i)
	}
	pending := sc.pending
	sc.pending = nil
	toEnv := make(map[int]bool)
	for _, h := range pending {
		if _, ok := toEnv[h.cmd]; !ok {
			toEnv[h.cmd] = h.cmd < len(cmds) && writesGitHubEnv(cmds, h.cmd)
		}
		var body []string
		var bodyLine []int
		for sc.i < len(sc.s) {
			end := strings.IndexByte(sc.s[sc.i:], '\n')
			var l string
			if end < 0 {
				l, sc.i = sc.s[sc.i:], len(sc.s)
			} else {
				l, sc.i = sc.s[sc.i:sc.i+end], sc.i+end+1
			}
			line := sc.line
			sc.line++
			l = strings.TrimSuffix(l, "\r")
			if h.strip {
				l = strings.TrimLeft(l, "\t")
			}
			if l == h.delim {
				break
			}
			body = append(body, l)
			bodyLine = append(bodyLine, line)
		}
		if toEnv[h.cmd] {
			sc.envFile(body, bodyLine)
		}
	}
}

// envFile reports the assignments of lines in GitHub's environment file
// format: NAME=VALUE, or NAME<<DELIMITER, the value's lines, DELIMITER.
func (sc *shellScanner) envFile(body []string, lines []int) {
	for i := 0; i < len(body); i++ {
		l := body[i]
		if name, delim, ok := strings.Cut(l, "<<"); ok && isName(name) && !strings.Contains(name, "=") {
			var value []string
			j := i + 1
			for j < len(body) && body[j] != delim {
				value = append(value, body[j])
				j++
			}
			sc.emit(Assignment{Name: name, Value: strings.Join(value, "\n"), Line: lines[i]})
			i = j
			continue
		}
		if name, value, ok := strings.Cut(l, "="); ok && isName(name) {
			sc.emit(Assignment{Name: name, Value: value, Line: lines[i]})
		}
	}
}

// writesGitHubEnv reports whether the output of cmds[i] goes to
// $GITHUB_ENV: redirected there, or piped to tee writing there.
func writesGitHubEnv(cmds []command, i int) bool {
	for _, r := range cmds[i].redirs {
		if (r.op == ">>" || r.op == ">" || r.op == ">|" || r.op == "&>>") && strings.Contains(r.target.text, "GITHUB_ENV") {
			return true
		}
	}
	if cmds[i].pipe && i+1 < len(cmds) {
		next := cmds[i+1].words
		if len(next) > 0 && path.Base(next[0].text) == "tee" {
			for _, w := range next[1:] {
				if !strings.HasPrefix(w.text, "-") && strings.Contains(w.text, "GITHUB_ENV") {
					return true
				}
			}
		}
	}
	return false
}

// keywords may start a command before its words.
var keywords = map[string]bool{
	"!": true, "{": true, "}": true, "then": true, "do": true, "else": true, "elif": true,
	"if": true, "while": true, "until": true, "time": true,
}

// command reports the assignments of cmds[i].
func (sc *shellScanner) command(cmds []command, i int) {
	words := cmds[i].words
	for len(words) > 0 && keywords[words[0].text] && words[0].name == 0 {
		words = words[1:]
	}
	// NAME=VALUE alone or before a command.
	for len(words) > 0 && words[0].name > 0 {
		sc.assign(words[0])
		words = words[1:]
	}
	if len(words) == 0 {
		return
	}
	switch cmd := words[0].text; {
	case cmd == "export" || cmd == "declare" || cmd == "typeset" || cmd == "local" || cmd == "readonly":
		for _, w := range words[1:] {
			if w.name > 0 {
				sc.assign(w)
			}
		}
	case cmd == "env" || path.Base(cmd) == "env" && strings.HasPrefix(cmd, "/"):
		rest := words[1:]
		for len(rest) > 0 && rest[0].name == 0 && strings.HasPrefix(rest[0].text, "-") {
			if rest[0].text == "-u" || rest[0].text == "-C" || rest[0].text == "-S" {
				rest = rest[1:]
			}
			if len(rest) > 0 {
				rest = rest[1:]
			}
		}
		for len(rest) > 0 && rest[0].name > 0 {
			sc.assign(rest[0])
			rest = rest[1:]
		}
	case isGo(cmd) && len(words) > 2 && words[1].text == "env":
		w := false
		for _, a := range words[2:] {
			switch {
			case a.text == "-w":
				w = true
			case strings.HasPrefix(a.text, "-"):
			case w:
				if name, value, ok := strings.Cut(a.text, "="); ok && isName(name) {
					sc.emit(Assignment{Name: name, Value: value, Line: a.line})
				}
			}
		}
	case (cmd == "echo" || cmd == "printf") && writesGitHubEnv(cmds, i):
		args := words[1:]
		if cmd == "echo" {
			for len(args) > 0 && (args[0].text == "-e" || args[0].text == "-n" || args[0].text == "-E" || args[0].text == "-en" || args[0].text == "-ne") {
				args = args[1:]
			}
		} else if len(args) != 1 || strings.Contains(args[0].text, "%") {
			return // printf FORMAT ARGS...: not a literal
		}
		if len(args) == 0 {
			return
		}
		var text []string
		for _, a := range args {
			text = append(text, a.text)
		}
		joined := strings.Join(text, " ")
		for _, l := range strings.Split(strings.ReplaceAll(joined, `\n`, "\n"), "\n") {
			if name, value, ok := strings.Cut(l, "="); ok && isName(name) {
				sc.emit(Assignment{Name: name, Value: value, Line: args[0].line})
			}
		}
	}
}

// isGo reports whether a command word runs the go command: go, a path
// ending in /go, go1.N.M, or make's or the shell's $(GO), ${GO}, $GO.
func isGo(cmd string) bool {
	switch cmd {
	case "go", "$(GO)", "${GO}", "$GO", "$(GOCMD)", "${GOCMD}", "$GOCMD":
		return true
	}
	b := path.Base(cmd)
	return b == "go" || strings.HasPrefix(b, "go1.") && !strings.ContainsAny(b, "$`")
}

func (sc *shellScanner) assign(w word) {
	sc.emit(Assignment{Name: w.text[:w.name], Value: w.text[w.name+1:], Line: w.line})
}
