package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// setVersion makes every go.mod require the in-repository modules at
// version, without replace directives for them, and makes go.work replace each published module at version by
// its directory, dropping its other replacements of in-repository modules.
// A file is written only when it changes.
func (r *repo) setVersion(version string, w io.Writer) error {
	if !semver.IsValid(version) || semver.Canonical(version) != version || module.IsPseudoVersion(version) {
		return fmt.Errorf("%q is not a canonical release version such as v0.3.0", version)
	}
	for _, name := range r.goModFiles() {
		data, err := r.read(name)
		if err != nil {
			return err
		}
		f, err := modfile.Parse(name, data, nil)
		if err != nil {
			return err
		}
		for _, req := range f.Require {
			if r.inRepo(req.Mod.Path) && req.Mod.Version != version {
				if err := f.AddRequire(req.Mod.Path, version); err != nil {
					return err
				}
			}
		}
		for _, rep := range f.Replace {
			if r.inRepo(rep.Old.Path) {
				if err := f.DropReplace(rep.Old.Path, rep.Old.Version); err != nil {
					return err
				}
			}
		}
		f.Cleanup()
		if err := r.writeIfChanged(name, data, modfile.Format(f.Syntax), w); err != nil {
			return err
		}
	}

	data, err := r.read("go.work")
	if err != nil {
		return err
	}
	want := make(map[string]string) // module path → its directory as go.work names it
	for _, m := range r.published() {
		want[m.Path] = workDir(m.Dir)
	}
	have := make(map[string]bool)
	for _, rep := range r.work.Replace {
		if !r.inRepo(rep.Old.Path) {
			continue
		}
		dir, ok := want[rep.Old.Path]
		if ok && !have[rep.Old.Path] && rep.New.Version == "" && path.Clean(rep.New.Path) == path.Clean(dir) && setOldVersion(rep, version) {
			have[rep.Old.Path] = true // kept in place, with its comments
			continue
		}
		if err := r.work.DropReplace(rep.Old.Path, rep.Old.Version); err != nil {
			return err
		}
	}
	for _, m := range r.published() {
		if !have[m.Path] {
			if err := r.work.AddReplace(m.Path, version, want[m.Path], ""); err != nil {
				return err
			}
			intoReplaceBlock(r.work.Syntax, r.work.Replace[len(r.work.Replace)-1].Syntax)
		}
	}
	r.work.Cleanup()
	return r.writeIfChanged("go.work", data, modfile.Format(r.work.Syntax), w)
}

// writeIfChanged writes a file's new content unless it is the old, and
// says so on w.
func (r *repo) writeIfChanged(name string, old, new []byte, w io.Writer) error {
	if bytes.Equal(old, new) {
		return nil
	}
	if _, err := fmt.Fprintf(w, "updated %s\n", name); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(r.root, filepath.FromSlash(name)), new, 0o644)
}

// setOldVersion rewrites the version a replace directive applies to, in
// place, and reports whether it could.
func setOldVersion(rep *modfile.Replace, version string) bool {
	toks := rep.Syntax.Token
	i := slices.Index(toks, "=>")
	if i < 1 || toks[i-1] != rep.Old.Version {
		return false
	}
	toks[i-1] = version
	rep.Old.Version = version
	return true
}

// intoReplaceBlock moves a replace directive that AddReplace wrote as a
// line of its own into the file's last replace block, if it has one, so
// that the workspace's replacements stay together under their comment.
func intoReplaceBlock(syntax *modfile.FileSyntax, line *modfile.Line) {
	var block *modfile.LineBlock
	at := -1
	for i, stmt := range syntax.Stmt {
		switch stmt := stmt.(type) {
		case *modfile.LineBlock:
			if len(stmt.Token) == 1 && stmt.Token[0] == "replace" {
				block = stmt
			}
		case *modfile.Line:
			if stmt == line {
				at = i
			}
		}
	}
	if block == nil || at < 0 || len(line.Token) < 2 || line.Token[0] != "replace" {
		return
	}
	syntax.Stmt = slices.Delete(syntax.Stmt, at, at+1)
	line.Token = line.Token[1:]
	line.InBlock = true
	block.Line = append(block.Line, line)
}
