package gobuild

import (
	"bytes"
	"errors"
	"go/build/constraint"
	"unicode"
)

// Build constraints: cmd/go/internal/imports.ShouldBuild with AnyTags, as
// go mod vendor applies it.

// ShouldBuildAnyTags reports whether a Go file whose leading bytes are
// content could be in some build: its //go:build line (or, without one, its
// // +build lines) is satisfiable when every tag but "ignore" may be true or
// false. A file with two //go:build lines is not.
func ShouldBuildAnyTags(content []byte) bool {
	content, goBuild, err := parseFileHeader(content)
	if err != nil {
		return false
	}
	if goBuild != nil {
		x, err := constraint.Parse(string(goBuild))
		if err != nil {
			return false
		}
		return evalAnyTags(x, true)
	}
	shouldBuild := true
	for line := range bytes.Lines(content) {
		line = bytes.TrimSpace(line)
		if !bytes.HasPrefix(line, []byte("//")) || !bytes.Contains(line, []byte("+build")) {
			continue
		}
		text := string(line)
		if !constraint.IsPlusBuild(text) {
			continue
		}
		if x, err := constraint.Parse(text); err == nil && !evalAnyTags(x, true) {
			shouldBuild = false
		}
	}
	return shouldBuild
}

// evalAnyTags is imports.eval with tags {"*": true}: a valid tag other
// than "ignore" takes the preferred value.
func evalAnyTags(x constraint.Expr, prefer bool) bool {
	switch x := x.(type) {
	case *constraint.TagExpr:
		for _, c := range x.Tag {
			if !unicode.IsLetter(c) && !unicode.IsDigit(c) && c != '_' && c != '.' {
				return false
			}
		}
		if x.Tag != "" && x.Tag != "ignore" {
			return prefer
		}
		return false
	case *constraint.NotExpr:
		return !evalAnyTags(x.X, !prefer)
	case *constraint.AndExpr:
		return evalAnyTags(x.X, prefer) && evalAnyTags(x.Y, prefer)
	case *constraint.OrExpr:
		return evalAnyTags(x.X, prefer) || evalAnyTags(x.Y, prefer)
	}
	return false
}

var errMultipleGoBuild = errors.New("multiple //go:build comments")

// parseFileHeader is imports.parseFileHeader: the leading run of //
// comments and blank lines that ends at a blank line, and the //go:build line.
func parseFileHeader(content []byte) (trimmed, goBuild []byte, err error) {
	end, read := 0, 0
	ended := false
	inSlashStar := false
Lines:
	for line := range bytes.Lines(content) {
		read += len(line)
		line = bytes.TrimSpace(line)
		if len(line) == 0 && !ended {
			end = read
			continue Lines
		}
		if !bytes.HasPrefix(line, []byte("//")) {
			ended = true
		}
		if !inSlashStar && isGoBuildComment(line) {
			if goBuild != nil {
				return nil, nil, errMultipleGoBuild
			}
			goBuild = line
		}
	Comments:
		for len(line) > 0 {
			if inSlashStar {
				if i := bytes.Index(line, []byte("*/")); i >= 0 {
					inSlashStar = false
					line = bytes.TrimSpace(line[i+2:])
					continue Comments
				}
				continue Lines
			}
			if bytes.HasPrefix(line, []byte("//")) {
				continue Lines
			}
			if bytes.HasPrefix(line, []byte("/*")) {
				inSlashStar = true
				line = bytes.TrimSpace(line[2:])
				continue Comments
			}
			break Lines
		}
	}
	return content[:end], goBuild, nil
}

func isGoBuildComment(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("//go:build")) {
		return false
	}
	line = bytes.TrimSpace(line)
	rest := line[len("//go:build"):]
	return len(rest) == 0 || len(bytes.TrimSpace(rest)) < len(rest)
}
