package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
)

// unpublishedFile lists, one a line, the module directories that are never
// tagged or published. Every other module that go.work uses is published.
const unpublishedFile = ".ci/unpublished"

// workspaceModule is one module that go.work uses.
type workspaceModule struct {
	Dir  string // relative to the repository's root, slash-separated; "." for the root
	Path string // the module path its go.mod declares
}

// repo is what the checks read of a repository: its workspace, which
// modules are published, and the files of its working tree.
type repo struct {
	root        string // absolute
	rootPath    string // the root module's path; every in-repository module path starts with it
	work        *modfile.WorkFile
	modules     []workspaceModule // in go.work's order
	unpublished map[string]bool
	files       []string // what git would commit, relative to root, slash-separated
}

func openRepo(dir string) (*repo, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	r := &repo{root: root, unpublished: make(map[string]bool)}
	workData, err := os.ReadFile(filepath.Join(root, "go.work"))
	if err != nil {
		return nil, err
	}
	if r.work, err = modfile.ParseWork("go.work", workData, nil); err != nil {
		return nil, err
	}
	for _, u := range r.work.Use {
		m := workspaceModule{Dir: path.Clean(filepath.ToSlash(u.Path))}
		gomod, err := r.read(path.Join(m.Dir, "go.mod"))
		if err != nil {
			return nil, fmt.Errorf("go.work uses %s: %w", u.Path, err)
		}
		if m.Path = modfile.ModulePath(gomod); m.Path == "" {
			return nil, fmt.Errorf("%s/go.mod has no module line", m.Dir)
		}
		if m.Dir == "." {
			r.rootPath = m.Path
		}
		r.modules = append(r.modules, m)
	}
	if r.rootPath == "" {
		return nil, errors.New("go.work does not use the repository's root module (use .)")
	}
	list, err := r.read(unpublishedFile)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(list))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		dir := path.Clean(line)
		if !slices.ContainsFunc(r.modules, func(m workspaceModule) bool { return m.Dir == dir }) {
			return nil, fmt.Errorf("%s names %s, which go.work does not use", unpublishedFile, line)
		}
		r.unpublished[dir] = true
	}
	if r.unpublished["."] {
		return nil, fmt.Errorf("%s names the root module, which is always published", unpublishedFile)
	}
	if r.files, err = workingTreeFiles(root); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *repo) read(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(r.root, filepath.FromSlash(name)))
}

// inRepo reports whether a module path belongs to this repository.
func (r *repo) inRepo(modPath string) bool {
	return modPath == r.rootPath || strings.HasPrefix(modPath, r.rootPath+"/")
}

// published returns the modules that are tagged and published, in
// go.work's order.
func (r *repo) published() []workspaceModule {
	var out []workspaceModule
	for _, m := range r.modules {
		if !r.unpublished[m.Dir] {
			out = append(out, m)
		}
	}
	return out
}

// goModFiles returns every go.mod of the working tree (test data aside),
// relative to the root.
func (r *repo) goModFiles() []string {
	var out []string
	for _, name := range r.files {
		if path.Base(name) == "go.mod" && !slices.Contains(strings.Split(name, "/"), "testdata") {
			out = append(out, name)
		}
	}
	return out
}

// requirement is one go.mod's requirement of an in-repository module.
type requirement struct {
	File, Path, Version string
}

// requirements returns every requirement of an in-repository module, and
// every replace directive for one, in all the go.mod files.
func (r *repo) requirements() (reqs []requirement, replaces []string, err error) {
	for _, name := range r.goModFiles() {
		f, err := r.parseMod(name)
		if err != nil {
			return nil, nil, err
		}
		for _, req := range f.Require {
			if r.inRepo(req.Mod.Path) {
				reqs = append(reqs, requirement{File: name, Path: req.Mod.Path, Version: req.Mod.Version})
			}
		}
		for _, rep := range f.Replace {
			if r.inRepo(rep.Old.Path) {
				replaces = append(replaces, fmt.Sprintf("%s replaces %s", name, rep.Old.Path))
			}
		}
	}
	return reqs, replaces, nil
}

func (r *repo) parseMod(name string) (*modfile.File, error) {
	data, err := r.read(name)
	if err != nil {
		return nil, err
	}
	return modfile.Parse(name, data, nil)
}

// requiredVersion returns the one version at which the modules require
// each other.
func (r *repo) requiredVersion() (string, error) {
	reqs, _, err := r.requirements()
	if err != nil {
		return "", err
	}
	byVersion := make(map[string][]string)
	for _, req := range reqs {
		byVersion[req.Version] = append(byVersion[req.Version], req.File+" requires "+req.Path)
	}
	switch len(byVersion) {
	case 0:
		return "", errors.New("no go.mod requires a module of this repository, so none states the release version")
	case 1:
		for v := range byVersion {
			return v, nil
		}
	}
	var lines []string
	for _, v := range slices.Sorted(maps.Keys(byVersion)) {
		lines = append(lines, fmt.Sprintf("%s: %s", v, strings.Join(byVersion[v], "; ")))
	}
	return "", fmt.Errorf("the modules require each other at different versions:\n  %s", strings.Join(lines, "\n  "))
}

// workingTreeFiles lists, relative to root and slash-separated, the files
// git would commit: tracked files that still exist and untracked files that
// .gitignore does not exclude. Only regular files are listed.
func workingTreeFiles(root string) ([]string, error) {
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	listing, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-files: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var files []string
	seen := make(map[string]bool)
	for name := range strings.SplitSeq(strings.TrimSuffix(string(listing), "\x00"), "\x00") {
		if name == "" || seen[name] {
			continue // an unmerged file is listed once per stage
		}
		seen[name] = true
		info, err := os.Lstat(filepath.Join(root, filepath.FromSlash(name)))
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted in the working tree, not yet committed
		}
		if err != nil {
			return nil, err
		}
		if info.Mode().IsRegular() {
			files = append(files, name)
		}
	}
	return files, nil
}
