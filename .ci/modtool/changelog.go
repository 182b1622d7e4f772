package main

import (
	"bufio"
	"bytes"
	"errors"
	"regexp"
)

// changelogFile is where every release is listed, newest first.
const changelogFile = "CHANGELOG.md"

// releaseHeading matches a release's level-2 heading in the forms Keep a
// Changelog uses: "## v0.2.0", "## [0.2.0] - 2026-12-06", "## v0.2.0 — notes".
// "## Unreleased" does not match.
var releaseHeading = regexp.MustCompile(`^##\s+\[?v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\]?(?:\s|$)`)

// latestRelease returns the version of the first release heading of a
// changelog, with a leading "v".
func latestRelease(changelog []byte) (string, error) {
	sc := bufio.NewScanner(bytes.NewReader(changelog))
	for sc.Scan() {
		if m := releaseHeading.FindStringSubmatch(sc.Text()); m != nil {
			return "v" + m[1], nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", errors.New("no release heading such as \"## v0.2.0\"")
}
