package main

import (
	"archive/zip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const root = "github.com/gatehouse-go/gatehouse"

// publishable is a small repository in the state .ci/run accepts: a root
// module, a published sub-module and two unpublished ones, requiring each
// other at v0.2.0, which is the latest release of the changelog.
var publishable = map[string]string{
	"go.mod":                    "module " + root + "\n\ngo 1.26.0\n",
	"root.go":                   "package gatehouse\n",
	"LICENSE":                   "license text\n",
	".gitignore":                "/bin/\n",
	"bin/junk":                  "an ignored build output\n",
	"CHANGELOG.md":              "# Changelog\n\n## Unreleased\n\n## v0.2.0 - 2026-12-06\n\n## v0.1.0\n",
	".ci/unpublished":           "# never published\nexamples\nbench\n",
	"redisstore/go.mod":         "module " + root + "/redisstore\n\ngo 1.26.0\n\nrequire " + root + " v0.2.0\n",
	"redisstore/store.go":       "package redisstore\n",
	"redisstore/inner/inner.go": "package inner\n",
	"examples/go.mod":           "module " + root + "/examples\n\ngo 1.26.0\n\nrequire (\n\t" + root + " v0.2.0\n\t" + root + "/redisstore v0.2.0\n)\n",
	"bench/go.mod":              "module " + root + "/bench\n\ngo 1.26.0\n\nrequire " + root + " v0.2.0 // indirect\n",
	"tools/go.mod":              "module example.com/tools\n\ngo 1.26.0\n", // not ours: ignored
	"go.work": `go 1.26.0

use (
	.
	./bench
	./examples
	./redisstore
)

// The workspace uses the checkout for the released version.
replace (
	github.com/gatehouse-go/gatehouse v0.2.0 => ./
	github.com/gatehouse-go/gatehouse/redisstore v0.2.0 => ./redisstore
)
`,
}

// newRepo writes files (publishable, changed by edits; an empty edit
// removes the file) into a new git repository and returns its directory.
func newRepo(t *testing.T, edits map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files := make(map[string]string)
	for name, body := range publishable {
		files[name] = body
	}
	for name, body := range edits {
		files[name] = body
	}
	for name, body := range files {
		if body == "" {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("git", "init", "-q", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git init: %v: %s", err, out)
	}
	return dir
}

func checkRepo(t *testing.T, dir string) (string, error) {
	t.Helper()
	r, err := openRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r.check()
}

func TestCheckAcceptsPublishableRepo(t *testing.T) {
	version, err := checkRepo(t, newRepo(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if version != "v0.2.0" {
		t.Fatalf("version %q, want v0.2.0", version)
	}
}

func TestCheckRefuses(t *testing.T) {
	sub := func(req string) string { return "module " + root + "/redisstore\n\ngo 1.26.0\n\nrequire " + req + "\n" }
	for _, tc := range []struct {
		name  string
		edits map[string]string
		want  string
	}{
		{"v0.0.0", map[string]string{"redisstore/go.mod": sub(root + " v0.0.0")},
			"redisstore/go.mod requires github.com/gatehouse-go/gatehouse v0.0.0, a placeholder"},
		{"pseudo-version", map[string]string{"redisstore/go.mod": sub(root + " v0.0.0-00010101000000-000000000000")},
			"at the pseudo-version v0.0.0-00010101000000-000000000000"},
		{"pseudo-version after a release", map[string]string{"redisstore/go.mod": sub(root + " v0.2.1-0.20261206120000-0123456789ab")},
			"at the pseudo-version v0.2.1-0.20261206120000-0123456789ab"},
		{"disagreeing versions", map[string]string{"redisstore/go.mod": sub(root + " v0.1.0")},
			"the modules require each other at different versions"},
		{"changelog behind", map[string]string{"CHANGELOG.md": "# Changelog\n\n## v0.1.0\n"},
			"the modules require each other at v0.2.0, but the latest release in CHANGELOG.md is v0.1.0"},
		{"changelog without a release", map[string]string{"CHANGELOG.md": "# Changelog\n\n## Unreleased\n"},
			"CHANGELOG.md: no release heading"},
		{"no changelog", map[string]string{"CHANGELOG.md": ""},
			"CHANGELOG.md: no such file"},
		{"replace in a go.mod", map[string]string{"redisstore/go.mod": sub(root+" v0.2.0") + "\nreplace " + root + " => ../\n"},
			"redisstore/go.mod replaces github.com/gatehouse-go/gatehouse: a consumer's build ignores replace directives"},
		{"go.work without the replacement", map[string]string{"go.work": "go 1.26.0\n\nuse (\n\t.\n\t./bench\n\t./examples\n\t./redisstore\n)\n"},
			"go.work does not replace github.com/gatehouse-go/gatehouse v0.2.0 => ./,"},
		{"go.work replaces another version", map[string]string{"go.work": strings.Replace(publishable["go.work"], "gatehouse v0.2.0", "gatehouse v0.1.0", 1)},
			"go.work replaces github.com/gatehouse-go/gatehouse v0.1.0 => ./ ; want github.com/gatehouse-go/gatehouse v0.2.0 => ./"},
		{"go.work does not use a module", map[string]string{"adapters/gin/go.mod": "module " + root + "/adapters/gin\n\ngo 1.26.0\n\nrequire " + root + " v0.2.0\n"},
			"adapters/gin/go.mod declares github.com/gatehouse-go/gatehouse/adapters/gin, but go.work does not use its directory"},
		{"requirement of an unpublished module", map[string]string{"redisstore/go.mod": sub("(\n\t" + root + " v0.2.0\n\t" + root + "/bench v0.2.0\n)")},
			"redisstore/go.mod requires github.com/gatehouse-go/gatehouse/bench, which is not a published module"},
		{"module path that is not its directory", map[string]string{"redisstore/go.mod": "module " + root + "/redis\n\ngo 1.26.0\n\nrequire " + root + " v0.2.0\n"},
			"redisstore/go.mod declares module github.com/gatehouse-go/gatehouse/redis; its tag redisstore/vX.Y.Z would publish only github.com/gatehouse-go/gatehouse/redisstore"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := checkRepo(t, newRepo(t, tc.edits))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("check: %v\nwant an error containing %q", err, tc.want)
			}
		})
	}
}

// A repository as it was before the modules were publishable, with a new
// published module added to go.work, passes the check once set-version has
// run; go.work keeps its comment and gains the new module's replacement.
func TestSetVersionMakesRepoPublishable(t *testing.T) {
	dir := newRepo(t, map[string]string{
		"redisstore/go.mod":   "module " + root + "/redisstore\n\ngo 1.26.0\n\nrequire " + root + " v0.0.0\n\nreplace " + root + " => ../\n",
		"bench/go.mod":        "module " + root + "/bench\n\ngo 1.26.0\n\nrequire " + root + " v0.0.0-00010101000000-000000000000\n",
		"adapters/gin/go.mod": "module " + root + "/adapters/gin\n\ngo 1.26.0\n\nrequire " + root + " v0.1.0\n",
		"go.work":             strings.Replace(publishable["go.work"], "\t./redisstore\n", "\t./redisstore\n\t./adapters/gin\n", 1),
		"CHANGELOG.md":        "## v0.3.0\n",
	})
	if _, err := checkRepo(t, dir); err == nil {
		t.Fatal("check passed before set-version")
	}
	r, err := openRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	var report strings.Builder
	if err := r.setVersion("v0.3.0", &report); err != nil {
		t.Fatal(err)
	}
	version, err := checkRepo(t, dir)
	if err != nil {
		t.Fatalf("check after set-version: %v", err)
	}
	if version != "v0.3.0" {
		t.Fatalf("version %q, want v0.3.0", version)
	}
	work, err := os.ReadFile(filepath.Join(dir, "go.work"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"// The workspace uses the checkout for the released version.",
		"\tgithub.com/gatehouse-go/gatehouse v0.3.0 => ./\n",
		"\tgithub.com/gatehouse-go/gatehouse/redisstore v0.3.0 => ./redisstore\n",
		"\tgithub.com/gatehouse-go/gatehouse/adapters/gin v0.3.0 => ./adapters/gin\n)\n",
	} {
		if !strings.Contains(string(work), want) {
			t.Errorf("go.work lacks %q:\n%s", want, work)
		}
	}
	gomod, err := os.ReadFile(filepath.Join(dir, "redisstore", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(gomod), "replace") {
		t.Errorf("redisstore/go.mod keeps its replace directive:\n%s", gomod)
	}
	if !strings.Contains(report.String(), "updated redisstore/go.mod\n") || !strings.Contains(report.String(), "updated go.work\n") {
		t.Errorf("set-version reported %q", report.String())
	}
	if err := r.setVersion("v0.3.0-0.20261206120000-0123456789ab", io.Discard); err == nil {
		t.Error("set-version accepted a pseudo-version")
	}
}

func TestLatestRelease(t *testing.T) {
	for text, want := range map[string]string{
		"# Changelog\n\n## v0.2.0\n\n## v0.1.0\n":                 "v0.2.0",
		"## Unreleased\n\n### Added\n\n## [0.3.1] - 2026-12-06\n": "v0.3.1",
		"## v1.0.0-rc.1 — first candidate\n":                      "v1.0.0-rc.1",
		"### v9.9.9\n## v0.2.0\n":                                 "v0.2.0",
	} {
		got, err := latestRelease([]byte(text))
		if err != nil || got != want {
			t.Errorf("latestRelease(%q) = %q, %v; want %q", text, got, err, want)
		}
	}
	if v, err := latestRelease([]byte("## Unreleased\n## v0.x\n")); err == nil {
		t.Errorf("latestRelease found %q in a changelog without a release", v)
	}
}

// The proxy holds, for each published module, the protocol's four files;
// the root's zip leaves out the nested modules' files and ignored files; a
// sub-module's zip gets the repository's LICENSE.
func TestWriteProxy(t *testing.T) {
	dir := newRepo(t, nil)
	r, err := openRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	var report strings.Builder
	if err := r.writeProxy("v0.2.0", out, &report); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{root + " v0.2.0 h1:", root + "/redisstore v0.2.0 h1:"} {
		if !strings.Contains(report.String(), line) {
			t.Errorf("report lacks %q:\n%s", line, report.String())
		}
	}
	for _, name := range []string{"list", "v0.2.0.info", "v0.2.0.mod", "v0.2.0.zip"} {
		for _, mod := range []string{root, root + "/redisstore"} {
			if _, err := os.Stat(filepath.Join(out, mod, "@v", name)); err != nil {
				t.Error(err)
			}
		}
		for _, unpublished := range []string{root + "/examples", root + "/bench"} {
			if _, err := os.Stat(filepath.Join(out, unpublished, "@v", name)); err == nil {
				t.Errorf("the proxy holds %s of the unpublished %s", name, unpublished)
			}
		}
	}
	if got := zipFiles(t, filepath.Join(out, root, "@v", "v0.2.0.zip")); !slices.Equal(got, []string{
		".ci/unpublished", ".gitignore", "CHANGELOG.md", "LICENSE", "go.mod", "go.work", "root.go",
	}) {
		t.Errorf("root zip holds %q", got)
	}
	if got := zipFiles(t, filepath.Join(out, root, "redisstore", "@v", "v0.2.0.zip")); !slices.Equal(got, []string{
		"LICENSE", "go.mod", "inner/inner.go", "store.go",
	}) {
		t.Errorf("redisstore zip holds %q", got)
	}
	mod, err := os.ReadFile(filepath.Join(out, root, "redisstore", "@v", "v0.2.0.mod"))
	if err != nil || string(mod) != publishable["redisstore/go.mod"] {
		t.Errorf("redisstore's .mod is %q, %v", mod, err)
	}
}

func zipFiles(t *testing.T, name string) []string {
	t.Helper()
	zr, err := zip.OpenReader(name)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		_, rel, _ := strings.Cut(f.Name, "@v0.2.0/")
		names = append(names, rel)
	}
	slices.Sort(names)
	return names
}
