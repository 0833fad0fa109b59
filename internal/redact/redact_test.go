package redact

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTextRemovesSecretsInEveryEncoding(t *testing.T) {
	sec := "s3cr3t/+value=="
	in := "bad token " + sec + " or " + "s3cr3t%2F%2Bvalue%3D%3D" + " or s3cr3t%2F+value=="
	out := Text(in, sec)
	assert.NotContains(t, out, "s3cr3t")
	assert.Equal(t, 3, strings.Count(out, Mark))
}

func TestTextFoldsControlsAndCaps(t *testing.T) {
	out := Text("line1\r\nline2\x00\u0085end")
	assert.Equal(t, "line1  line2  end", out)
	long := strings.Repeat("é", MaxText)
	out = Text(long)
	assert.LessOrEqual(t, len(out), MaxText+3)
	assert.True(t, strings.HasSuffix(out, "..."))
	assert.True(t, strings.HasPrefix(out, "é"))
}

func TestTextCutNeverLeavesPartOfASecret(t *testing.T) {
	sec := strings.Repeat("k", 40)
	in := strings.Repeat("x", MaxText-10) + sec
	assert.NotContains(t, Text(in, sec), "kkkkkkkkkk")
}

func TestShortValuesAreNotSecrets(t *testing.T) {
	assert.Equal(t, "a b c", Text("a b c", "a", ""))
}
