package docs

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// snippets returns the code blocks of a package doc comment: runs of
// comment lines indented with a tab, without the comment markers.
func snippets(doc string) []string {
	var out []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.Join(cur, "\n"))
			cur = nil
		}
	}
	for _, line := range strings.Split(doc, "\n") {
		if rest, ok := strings.CutPrefix(line, "//\t"); ok {
			cur = append(cur, strings.TrimRight(rest, " \t"))
			continue
		}
		flush()
	}
	flush()
	return out
}

// exampleBodies returns the bodies of the Example functions in dir's test
// files, one level of indentation removed, trailing space trimmed.
func exampleBodies(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	require.NoError(t, err)
	decl := regexp.MustCompile(`(?m)^func (Example\w*)\(\) \{\n`)
	var bodies []string
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, loc := range decl.FindAllStringIndex(string(src), -1) {
			rest := string(src)[loc[1]:]
			end := strings.Index(rest, "\n}\n")
			if end < 0 {
				continue
			}
			lines := strings.Split(rest[:end], "\n")
			for i, l := range lines {
				lines[i] = strings.TrimRight(strings.TrimPrefix(l, "\t"), " \t")
			}
			bodies = append(bodies, strings.Join(lines, "\n"))
		}
	}
	return bodies
}

// declaresTest reports whether snippet is a whole Test function that one
// of dir's test files declares verbatim: go test runs it as it stands.
func declaresTest(t *testing.T, dir, snippet string) bool {
	t.Helper()
	if !strings.HasPrefix(snippet, "func Test") {
		return false
	}
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	require.NoError(t, err)
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		if strings.Contains(string(src), "\n"+snippet+"\n") {
			return true
		}
	}
	return false
}

// TestDocSnippetsRun holds every code block of every package doc (doc.go)
// to running code: each block must parse as Go and stand verbatim in an
// Example function of its own package, where go test compiles it and,
// with the example's Output comment, runs it — or be a whole Test function
// the package's tests declare verbatim. A doc that shows an API the
// package no longer has fails here.
func TestDocSnippetsRun(t *testing.T) {
	docs, err := filepath.Glob(filepath.Join(root, "*", "doc.go"))
	require.NoError(t, err)
	for _, pattern := range []string{"*/*/doc.go", "*/*/*/doc.go"} {
		more, err := filepath.Glob(filepath.Join(root, pattern))
		require.NoError(t, err)
		docs = append(docs, more...)
	}
	require.NotEmpty(t, docs)
	for _, doc := range docs {
		dir := filepath.Dir(doc)
		rel, _ := filepath.Rel(root, dir)
		if strings.HasPrefix(rel, "examples") || strings.HasPrefix(rel, "cmd") {
			continue // commands: their docs describe flags, not code
		}
		src, err := os.ReadFile(doc)
		require.NoError(t, err)
		blocks := snippets(string(src))
		if len(blocks) == 0 {
			continue
		}
		t.Run(rel, func(t *testing.T) {
			bodies := exampleBodies(t, dir)
			for _, b := range blocks {
				fset := token.NewFileSet()
				_, stmtErr := parser.ParseFile(fset, "", "package p\nfunc _() {\n"+b+"\n}\n", 0)
				_, declErr := parser.ParseFile(fset, "", "package p\n"+b+"\n", 0)
				if stmtErr != nil && declErr != nil {
					// Not Go: a reference table (ports, routes, wire
					// formats) is allowed in a command's or an internal
					// package's doc, where no user copies code from.
					assert.True(t, strings.HasPrefix(rel, "internal"), "%s: a doc snippet that is not Go:\n%s", rel, b)
					continue
				}
				found := declaresTest(t, dir, b)
				for _, body := range bodies {
					if strings.Contains(body, b) && strings.Contains(body, "// Output:") {
						found = true
						break
					}
				}
				assert.True(t, found, "%s: this doc snippet stands in no Example (with an Output comment) of the package, so nothing compiles and runs it:\n%s", rel, b)
			}
		})
	}
}
