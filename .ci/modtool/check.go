package main

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// check reports every reason the modules are not publishable as they
// stand, and otherwise returns the version they require each other at:
//   - a requirement of an in-repository module at v0.0.0, at a
//     pseudo-version, at anything but a release version, or of a module
//     that is not published;
//   - requirements at different versions, or none at all;
//   - a replace directive for an in-repository module in a go.mod (a
//     consumer's build ignores it);
//   - a published module whose path does not end in its directory (its tag
//     DIR/vX.Y.Z would not publish it);
//   - a go.mod of an in-repository module that go.work does not use;
//   - a version that is not the latest release heading of CHANGELOG.md;
//   - a go.work that does not replace each published module, at that
//     version and no other, by its directory.
func (r *repo) check() (string, error) {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	publishedPaths := make(map[string]string) // module path → directory
	for _, m := range r.published() {
		publishedPaths[m.Path] = m.Dir
		want := r.rootPath
		if m.Dir != "." {
			want = r.rootPath + "/" + m.Dir
		}
		if m.Path != want {
			add("%s/go.mod declares module %s; its tag %s would publish only %s", m.Dir, m.Path, tagName(m.Dir, "vX.Y.Z"), want)
		}
	}

	reqs, replaces, err := r.requirements()
	if err != nil {
		return "", err
	}
	for _, req := range reqs {
		switch {
		case req.Version == "v0.0.0":
			add("%s requires %s v0.0.0, a placeholder no module proxy serves", req.File, req.Path)
		case module.IsPseudoVersion(req.Version):
			add("%s requires %s at the pseudo-version %s; require a release", req.File, req.Path, req.Version)
		case !semver.IsValid(req.Version) || semver.Canonical(req.Version) != req.Version || semver.Build(req.Version) != "":
			add("%s requires %s at %s, which is not a canonical release version", req.File, req.Path, req.Version)
		}
		if _, ok := publishedPaths[req.Path]; !ok {
			add("%s requires %s, which is not a published module of this repository", req.File, req.Path)
		}
	}
	for _, rep := range replaces {
		add("%s: a consumer's build ignores replace directives; go.work maps the workspace to the checkout", rep)
	}

	used := make(map[string]bool)
	for _, m := range r.modules {
		used[m.Dir] = true
	}
	for _, name := range r.goModFiles() {
		f, err := r.parseMod(name)
		if err != nil {
			return "", err
		}
		if f.Module != nil && r.inRepo(f.Module.Mod.Path) && !used[path.Dir(name)] {
			add("%s declares %s, but go.work does not use its directory", name, f.Module.Mod.Path)
		}
	}

	version, err := r.requiredVersion()
	if err != nil {
		add("%v", err)
	} else {
		changelog, err := r.read(changelogFile)
		switch latest, lerr := latestRelease(changelog); {
		case err != nil:
			add("%v", err)
		case lerr != nil:
			add("%s: %v", changelogFile, lerr)
		case latest != version:
			add("the modules require each other at %s, but the latest release in %s is %s", version, changelogFile, latest)
		}
		r.checkWorkReplaces(version, add)
	}

	if len(problems) > 0 {
		return "", errors.New(strings.Join(problems, "\n"))
	}
	return version, nil
}

// checkWorkReplaces reports a go.work that does not map each published
// module at version to its directory, or that replaces an in-repository
// module otherwise.
func (r *repo) checkWorkReplaces(version string, add func(string, ...any)) {
	fix := fmt.Sprintf("(.ci/set-version.sh %s writes them)", version)
	want := make(map[string]string) // module path → directory
	for _, m := range r.published() {
		want[m.Path] = m.Dir
	}
	found := make(map[string]bool)
	for _, rep := range r.work.Replace {
		if !r.inRepo(rep.Old.Path) {
			continue
		}
		dir, ok := want[rep.Old.Path]
		switch {
		case !ok:
			add("go.work replaces %s, which is not a published module", rep.Old.Path)
		case rep.Old.Version != version || rep.New.Version != "" || path.Clean(rep.New.Path) != dir:
			add("go.work replaces %s %s => %s %s; want %s %s => %s %s", rep.Old.Path, rep.Old.Version, rep.New.Path, rep.New.Version,
				rep.Old.Path, version, workDir(dir), fix)
		default:
			found[rep.Old.Path] = true
		}
	}
	for _, p := range slices.Sorted(maps.Keys(want)) {
		if !found[p] {
			add("go.work does not replace %s %s => %s, so a workspace build would fetch that version instead of using the checkout %s",
				p, version, workDir(want[p]), fix)
		}
	}
}

// workDir is how go.work names a module directory.
func workDir(dir string) string {
	if dir == "." {
		return "./"
	}
	return "./" + dir
}

// tagName is the tag that publishes the module in dir at version.
func tagName(dir, version string) string {
	if dir == "." {
		return version
	}
	return dir + "/" + version
}
