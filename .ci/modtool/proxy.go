package main

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

// writeProxy writes, under out, the layout of the GOPROXY protocol
// (<module>/@v/list, <version>.info, .mod and .zip) for every published
// module of the working tree at version, and reports each module's go.sum
// hash on w.
//
// A module's files are those git would commit, less the files of any
// nested module; a sub-module without a LICENSE gets the repository's, as
// the go command does when it builds a zip from a tag. The zips are made
// and checked by golang.org/x/mod/zip, so they follow the module zip rules.
func (r *repo) writeProxy(version, out string, w io.Writer) error {
	for _, m := range r.published() {
		if err := r.publish(m, version, out, w); err != nil {
			return fmt.Errorf("%s: %w", m.Dir, err)
		}
	}
	return nil
}

// file is one regular file of the working tree, as golang.org/x/mod/zip
// reads it.
type file struct {
	rel  string // relative to the module's root, slash-separated
	disk string
}

func (f file) Path() string                 { return f.rel }
func (f file) Lstat() (os.FileInfo, error)  { return os.Lstat(f.disk) }
func (f file) Open() (io.ReadCloser, error) { return os.Open(f.disk) }

func (r *repo) publish(m workspaceModule, version, out string, w io.Writer) error {
	mv := module.Version{Path: m.Path, Version: version}
	if err := module.Check(mv.Path, mv.Version); err != nil {
		return err
	}
	gomod, err := r.read(path.Join(m.Dir, "go.mod"))
	if err != nil {
		return err
	}

	prefix := ""
	if m.Dir != "." {
		prefix = m.Dir + "/"
	}
	var nested []string // directories of nested modules, relative to m's root, with a trailing slash
	for _, name := range r.files {
		if rel, ok := strings.CutPrefix(name, prefix); ok && path.Base(rel) == "go.mod" && rel != "go.mod" {
			nested = append(nested, path.Dir(rel)+"/")
		}
	}
	var files []modzip.File
	haveLicense := false
	for _, name := range r.files {
		rel, ok := strings.CutPrefix(name, prefix)
		if !ok || slices.ContainsFunc(nested, func(n string) bool { return strings.HasPrefix(rel, n) }) {
			continue
		}
		files = append(files, file{rel: rel, disk: filepath.Join(r.root, filepath.FromSlash(name))})
		haveLicense = haveLicense || rel == "LICENSE"
	}
	if !haveLicense && m.Dir != "." && slices.Contains(r.files, "LICENSE") {
		files = append(files, file{rel: "LICENSE", disk: filepath.Join(r.root, "LICENSE")})
	}

	escPath, err := module.EscapePath(mv.Path)
	if err != nil {
		return err
	}
	escVersion, err := module.EscapeVersion(mv.Version)
	if err != nil {
		return err
	}
	vdir := filepath.Join(out, filepath.FromSlash(escPath), "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return err
	}
	zipPath := filepath.Join(vdir, escVersion+".zip")
	if err := writeZip(zipPath, mv, files); err != nil {
		return err
	}
	if err := checkZip(zipPath, mv, nested); err != nil {
		return err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{mv.Version, time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(vdir, escVersion+".info"), info, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(vdir, escVersion+".mod"), gomod, 0o644); err != nil {
		return err
	}
	if err := addToList(filepath.Join(vdir, "list"), mv.Version); err != nil {
		return err
	}
	sum, err := dirhash.HashZip(zipPath, dirhash.Hash1)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s %s %s (%d files)\n", mv.Path, mv.Version, sum, len(files))
	return err
}

func writeZip(name string, m module.Version, files []modzip.File) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := modzip.Create(f, m, files); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// checkZip verifies a zip against the module zip rules, as the go command
// does when it downloads one, and that it holds no file of a nested module.
func checkZip(name string, m module.Version, nested []string) error {
	checked, err := modzip.CheckZip(m, name)
	if err != nil {
		return err
	}
	if err := checked.Err(); err != nil {
		return err
	}
	zr, err := zip.OpenReader(name)
	if err != nil {
		return err
	}
	defer zr.Close()
	prefix := m.Path + "@" + m.Version + "/"
	for _, zf := range zr.File {
		rel := strings.TrimPrefix(zf.Name, prefix)
		for _, n := range nested {
			if strings.HasPrefix(rel, n) {
				return fmt.Errorf("the zip holds %s, a file of the nested module in %s", rel, n)
			}
		}
	}
	return nil
}

// addToList adds version to a proxy's list file unless it is there.
func addToList(name, version string) error {
	data, err := os.ReadFile(name)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if slices.Contains(strings.Fields(string(data)), version) {
		return nil
	}
	return os.WriteFile(name, append(data, version+"\n"...), 0o644)
}
