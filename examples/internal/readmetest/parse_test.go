package readmetest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const fence = "```"

// md joins lines into a README, with ``` written as ~~~ for readability.
func md(lines ...string) []byte {
	return []byte(strings.ReplaceAll(strings.Join(lines, "\n"), "~~~", fence) + "\n")
}

func TestParseReadsCommands(t *testing.T) {
	doc, err := Parse("x/README.md", md(
		"# x",
		"",
		"~~~sh",
		"# a comment line, skipped",
		"go run ./examples/quickstart &      # on 8080",
		"",
		"curl -i http://127.0.0.1:8080/orders   # → 401: no token",
		"TOKEN=$(curl -s -d '{\"a\": \"#not a comment\"}' \\",
		"  http://127.0.0.1:8080/login | jq -r .token)   # → 200",
		"ASSERTION=$(go run ./examples/vouchers -sign-assertion)",
		"API_KEY=ABCD X='a b' go run ./examples/vouchers -addr 127.0.0.1:9000",
		"~~~",
		"",
		"~~~json",
		`{"curl ": "in a json block, not a command"}`,
		"~~~",
		"<!-- not run: needs a tenant -->",
		"~~~sh",
		"curl https://tenant.example/token -d client_secret=…",
		"~~~",
		"~~~text",
		"  curl -H 'banner output' http://127.0.0.1:8080/",
		"~~~",
	))
	require.NoError(t, err)
	require.Len(t, doc.Blocks, 1)
	assert.Equal(t, 3, doc.Blocks[0].Line)
	lines := doc.Blocks[0].Lines
	require.Len(t, lines, 5)

	assert.Equal(t, Line{Num: 5, Text: "go run ./examples/quickstart &      # on 8080", Code: "go run ./examples/quickstart &", Example: "quickstart"}, lines[0])
	assert.Equal(t, 7, lines[1].Num)
	assert.Equal(t, 401, lines[1].Expect)
	assert.Equal(t, "curl -i http://127.0.0.1:8080/orders", lines[1].Code)
	assert.Equal(t, 8, lines[2].Num, "a continued command is numbered by its first line")
	assert.Equal(t, 200, lines[2].Expect)
	assert.Contains(t, lines[2].Text, "\n  http://127.0.0.1:8080/login")
	assert.Contains(t, lines[2].Code, `"#not a comment"`, "a # inside quotes is no comment")
	assert.Empty(t, lines[3].Example, "go run in a command substitution starts no server")
	assert.Equal(t, "vouchers", lines[4].Example, "VAR=value words may precede a start")

	assert.Equal(t, []Skipped{{Line: 18, Reason: "needs a tenant"}}, doc.Skipped)
	assert.Equal(t, []string{"quickstart", "vouchers"}, doc.Examples())
	assert.True(t, doc.Mentions("jq -r .token"))
	assert.False(t, doc.Mentions("tenant.example"), "a block not run is not searched")
}

// TestParseExpectationOnTheNextLine: `# → NNN` on the line right after a
// command, with the answer for the reader, is its expectation; after a
// blank line it is only a comment.
func TestParseExpectationOnTheNextLine(t *testing.T) {
	doc, err := Parse("README.md", md("~~~sh",
		"curl -s http://127.0.0.1:8080/a",
		`# → 200 {"success":true,"data":{}}`,
		"curl -s \\",
		"  http://127.0.0.1:8080/b",
		"# → 401",
		"~~~"))
	require.NoError(t, err)
	require.Len(t, doc.Blocks[0].Lines, 2)
	assert.Equal(t, 200, doc.Blocks[0].Lines[0].Expect)
	assert.Equal(t, 401, doc.Blocks[0].Lines[1].Expect)

	_, err = Parse("README.md", md("~~~sh", "curl -s http://127.0.0.1:8080/a", "", "# → 200", "~~~"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "README.md:2: a curl line states no expected status")
	_, err = Parse("README.md", md("~~~sh", "curl -s http://127.0.0.1:8080/a   # → 200", "# → 401", "~~~"))
	require.NoError(t, err, "a second expectation is a plain comment")
	_, err = Parse("README.md", md("~~~sh", "echo a", "# → 200", "~~~"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "README.md:2: an expected status on a line without curl")
}

func TestParseRefuses(t *testing.T) {
	for name, c := range map[string]struct {
		readme []byte
		want   string
	}{
		"curl without expectation": {md("~~~sh", "curl http://127.0.0.1:8080/", "~~~"),
			"README.md:2: a curl line states no expected status"},
		"expectation without curl": {md("~~~sh", "echo hi   # → 200", "~~~"),
			"README.md:2: an expected status on a line without curl"},
		"malformed expectation": {md("~~~sh", "curl http://127.0.0.1:8080/   # → OK", "~~~"),
			"three-digit HTTP status"},
		"expectation on a start line": {md("~~~sh", "go run ./examples/x &   # → 200", "~~~"),
			"a line starting a server has no HTTP status"},
		"go run from the examples directory": {md("~~~sh", "go run ./vouchers", "~~~"),
			"go run ./vouchers: commands run from the repository root"},
		"go run of another path, not run": {md("<!-- not run: a reason -->", "~~~sh", "go run ./vouchers", "~~~"),
			"README.md:3: go run ./vouchers"},
		"placeholder": {md("~~~sh", "export TOKEN=sst_…", "~~~"),
			"a placeholder (…)"},
		"here-document": {md("~~~sh", "cat > f <<EOF", "x", "EOF", "~~~"),
			"a here-document"},
		"unbalanced quote": {md("~~~sh", `curl -d '{"a": 1}   # → 200`, "~~~"),
			"unbalanced quotes"},
		"comment before a continuation": {md("~~~sh", `curl -s \`, `  http://127.0.0.1:8080/ # first \`, `  -i   # → 200`, "~~~"),
			"a comment before a continuation line"},
		"block ends in a continuation": {md("~~~sh", `curl -s \`, "~~~"),
			"ends inside a command continued"},
		"unclosed block": {md("~~~sh", "echo hi"),
			"never closed"},
		"bash fence": {md("~~~bash", "echo hi", "~~~"),
			"a ```bash block: write ```sh"},
		"command in an untagged block": {md("~~~", "$ curl -i http://127.0.0.1:8080/", "HTTP/1.1 200 OK", "~~~"),
			"README.md:2: a command in an untagged block"},
		"not run without a reason": {md("<!-- not run: -->", "~~~sh", "echo", "~~~"),
			"needs a reason"},
	} {
		_, err := Parse("README.md", c.readme)
		if assert.Error(t, err, name) {
			assert.Contains(t, err.Error(), c.want, name)
		}
	}
}

func TestListenArgs(t *testing.T) {
	for _, c := range []struct {
		in, out []string
		port    string
	}{
		{nil, []string{"-addr", "127.0.0.1:0"}, "8080"},
		{[]string{"-help"}, []string{"-addr", "127.0.0.1:0", "-help"}, "8080"},
		{[]string{"-addr", "127.0.0.1:9000", "-x"}, []string{"-addr", "127.0.0.1:0", "-x"}, "9000"},
		{[]string{"--addr=127.0.0.1:8443"}, []string{"--addr=127.0.0.1:0"}, "8443"},
		{[]string{"-redis-addr", "127.0.0.1:6379"}, []string{"-addr", "127.0.0.1:0", "-redis-addr", "127.0.0.1:6379"}, "8080"},
	} {
		out, port := listenArgs(c.in)
		assert.Equal(t, c.out, out, "%q", c.in)
		assert.Equal(t, c.port, port, "%q", c.in)
	}
}

func TestRewrite(t *testing.T) {
	r := &runner{servers: map[string]*server{"8080": {addr: "127.0.0.1:41234"}, "8443": {addr: "127.0.0.1:41999"}}}
	assert.Equal(t,
		"curl -H 'Host: acme.localhost:41234' http://127.0.0.1:41234/x https://acme.localhost:41999/ http://127.0.0.1:9000/ http://127.0.0.1:80800/",
		r.rewrite("curl -H 'Host: acme.localhost:8080' http://127.0.0.1:8080/x https://acme.localhost:8443/ http://127.0.0.1:9000/ http://127.0.0.1:80800/"))
}

func TestMetricsArgs(t *testing.T) {
	for _, c := range []struct {
		in, out []string
		port    string
	}{
		{[]string{"-addr", "127.0.0.1:0"}, []string{"-addr", "127.0.0.1:0"}, ""},
		{[]string{"-metrics-addr", "127.0.0.1:9464", "-x"}, []string{"-metrics-addr", "127.0.0.1:0", "-x"}, "9464"},
		{[]string{"--metrics-addr=127.0.0.1:9090"}, []string{"--metrics-addr=127.0.0.1:0"}, "9090"},
	} {
		out, port := metricsArgs(c.in)
		assert.Equal(t, c.out, out, "%q", c.in)
		assert.Equal(t, c.port, port, "%q", c.in)
	}
}

func TestRewriteMetricsAlias(t *testing.T) {
	r := &runner{servers: map[string]*server{"8080": {addr: "127.0.0.1:41234"}}, aliases: map[string]string{"9464": "127.0.0.1:45001"}}
	assert.Equal(t, "curl http://127.0.0.1:41234/x http://127.0.0.1:45001/metrics http://127.0.0.1:9000/",
		r.rewrite("curl http://127.0.0.1:8080/x http://127.0.0.1:9464/metrics http://127.0.0.1:9000/"))
}
