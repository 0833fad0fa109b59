package autoshares

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWirePageShapes(t *testing.T) {
	var p wirePage[int]
	require.NoError(t, json.Unmarshal([]byte(`[1,2]`), &p))
	assert.Equal(t, []int{1, 2}, p.items)
	assert.Equal(t, -1, p.total)
	assert.Empty(t, p.nextPageLink)
	require.NoError(t, json.Unmarshal([]byte(`{"Result":[3],"TotalCount":9,"NextPageLink":"/n","PreviousPageLink":null}`), &p))
	assert.Equal(t, []int{3}, p.items)
	assert.Equal(t, 9, p.total)
	assert.Equal(t, "/n", p.nextPageLink)
	assert.Error(t, json.Unmarshal([]byte(`"x"`), &p))
}

func TestNextQuery(t *testing.T) {
	q := url.Values{"pageNumber": {"0"}, "pageSize": {"99"}, "sortField": {"Symbol"}, "desc": {"false"}}
	// The link names the page: its paging parameters are taken, the rest
	// of the query kept, and its host never followed.
	n := nextQuery(q, "https://elsewhere.example/v1.0/accounts/1/positions?pageNumber=1&pageSize=50")
	assert.Equal(t, url.Values{"pageNumber": {"1"}, "pageSize": {"50"}, "sortField": {"Symbol"}, "desc": {"false"}}, n)
	assert.Equal(t, "0", q.Get("pageNumber"), "the first page's query is not changed")
	// An opaque link: the page number counts on.
	n = nextQuery(q, "/next-page-token-abc")
	assert.Equal(t, "1", n.Get("pageNumber"))
	assert.Equal(t, "99", n.Get("pageSize"))
}
