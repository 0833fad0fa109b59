package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// root is the module root, two levels above this package.
const root = "../.."

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	return string(b)
}

// section returns the README section under the given "## " heading.
func section(t *testing.T, doc, heading string) string {
	t.Helper()
	start := strings.Index(doc, "\n## "+heading+"\n")
	require.GreaterOrEqual(t, start, 0, "README has no section %q", heading)
	rest := doc[start+len(heading)+5:]
	if end := strings.Index(rest, "\n## "); end >= 0 {
		rest = rest[:end]
	}
	return rest
}

// testFuncs returns the names of every Test and Fuzz function in the
// module's test files.
func testFuncs(t *testing.T) map[string]bool {
	t.Helper()
	decl := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz)[A-Za-z0-9_]+)\(`)
	names := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllStringSubmatch(string(b), -1) {
			names[m[1]] = true
		}
		return nil
	})
	require.NoError(t, err)
	return names
}

// TestSecurityDefaultsNameRealTests holds every guarantee of the README's
// "Security defaults" section to a test that exists: a renamed or deleted
// test fails here until the README says which test holds the guarantee now.
func TestSecurityDefaultsNameRealTests(t *testing.T) {
	sec := section(t, readme(t), "Security defaults")
	named := regexp.MustCompile("`((?:Test|Fuzz)[A-Za-z0-9_]+)`").FindAllStringSubmatch(sec, -1)
	require.NotEmpty(t, named, "the section names no tests")
	have := testFuncs(t)
	for _, m := range named {
		assert.True(t, have[m[1]], "README Security defaults names %s, which no test file declares", m[1])
	}
	// Every bullet names at least one test, except the one documentation
	// note about oauth2.Token.
	for _, line := range strings.Split(sec, "\n- ")[1:] {
		if strings.Contains(line, "*oauth2.Token") {
			continue
		}
		assert.Regexp(t, "`(Test|Fuzz)[A-Za-z0-9_]+`", line, "a guarantee without a test: %.80s", line)
	}
}

// exampleMarker ties a README code block to the Example function whose
// body it shows: <!-- example: auth/example_test.go ExampleBegin -->.
var exampleMarker = regexp.MustCompile(`<!-- example: (\S+) (Example\w*) -->\s*\n` + "```go\n((?s).*?)```")

// TestReadmeCodeIsExamples holds every Go block of the README to the body
// of an Example function, so each snippet compiles and, with its Output
// comment, runs under go test. A block without a marker fails, and so does
// a block that no longer matches its example.
func TestReadmeCodeIsExamples(t *testing.T) {
	doc := readme(t)
	blocks := strings.Count(doc, "```go\n")
	marked := exampleMarker.FindAllStringSubmatch(doc, -1)
	assert.Equal(t, blocks, len(marked), "every ```go block of the README needs an <!-- example: FILE ExampleName --> marker right above it")
	for _, m := range marked {
		file, name, block := m[1], m[2], m[3]
		body, hasOutput := exampleBody(t, filepath.Join(root, file), name)
		assert.Equal(t, normalize(body, true), normalize(block, false), "README block for %s in %s differs from the example's body", name, file)
		assert.True(t, hasOutput, "%s in %s has no // Output: comment, so go test compiles it but does not run it", name, file)
	}
}

// exampleBody returns the statements of the named function in file, as
// the source has them (comments included) without the Output comment, and
// whether it has an Output comment.
func exampleBody(t *testing.T, file, name string) (string, bool) {
	t.Helper()
	src, err := os.ReadFile(file)
	require.NoError(t, err)
	start := strings.Index(string(src), "\nfunc "+name+"() {\n")
	require.GreaterOrEqual(t, start, 0, "%s declares no func %s()", file, name)
	rest := string(src)[start+len("\nfunc "+name+"() {\n"):]
	end := strings.Index(rest, "\n}\n")
	require.GreaterOrEqual(t, end, 0)
	body := rest[:end+1]
	hasOutput := false
	if i := strings.Index(body, "\t// Output:"); i >= 0 {
		body, hasOutput = body[:i], true
	}
	return body, hasOutput
}

// normalize drops trailing space and blank lines at either end and, for
// a function body, its one level of indentation, so that a README block
// can be the body verbatim.
func normalize(s string, body bool) string {
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	for i, l := range lines {
		if body {
			l = strings.TrimPrefix(l, "\t")
		}
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

// fileMarker ties a README code block to the file it quotes:
// <!-- file: cmd/brokerkit/internal/emulate/testdata/login.mjs -->.
var fileMarker = regexp.MustCompile(`<!-- file: (\S+) -->\s*\n` + "```[a-z]*\n((?s).*?)```")

// TestReadmeScriptsAreTestedFiles holds every README block that quotes a
// file (the non-Go clients of brokerkit emulate) to that file, which a
// test runs: the README cannot show a script that no longer works.
func TestReadmeScriptsAreTestedFiles(t *testing.T) {
	marked := fileMarker.FindAllStringSubmatch(readme(t), -1)
	require.NotEmpty(t, marked, "the README quotes no tested script")
	for _, m := range marked {
		b, err := os.ReadFile(filepath.Join(root, m[1]))
		require.NoError(t, err)
		assert.Equal(t, string(b), m[2], "the README's block differs from %s", m[1])
	}
}
