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
