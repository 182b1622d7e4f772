package layering

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "github.com/gatehouse-go/gatehouse"

// A pkg is what `go list -json` says of one package of the core module.
type pkg struct {
	ImportPath string
	Imports    []string // of its non-test files
	Standard   bool
}

// list returns the core module's packages, by path relative to the module
// ("" for the root).
func list(t *testing.T) map[string]pkg {
	cmd := exec.Command("go", "list", "-json", "./...") // the core module alone: nested modules are not in ./...
	cmd.Dir = "../.."
	out, err := cmd.Output()
	require.NoError(t, err)
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else {
			require.NoError(t, err)
		}
		pkgs[strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")] = p
	}
	require.Contains(t, pkgs, "bearer")
	return pkgs
}

// own returns the imports of p inside the core module, relative to it.
func own(p pkg) []string {
	var out []string
	for _, imp := range p.Imports {
		if imp == module || strings.HasPrefix(imp, module+"/") {
			out = append(out, strings.TrimPrefix(strings.TrimPrefix(imp, module), "/"))
		}
	}
	return out
}

// thirdParty returns the imports of p outside the standard library and
// the core module.
func thirdParty(p pkg) []string {
	var out []string
	for _, imp := range p.Imports {
		first, _, _ := strings.Cut(imp, "/")
		if strings.Contains(first, ".") && imp != module && !strings.HasPrefix(imp, module+"/") {
			out = append(out, imp)
		}
	}
	return out
}

func TestLeavesImportOnlyTheStandardLibrary(t *testing.T) {
	pkgs := list(t)
	for _, leaf := range []string{"", "envelope", "internal/compact", "internal/jwsalg", "internal/expiry"} {
		p, ok := pkgs[leaf]
		require.True(t, ok, leaf)
		assert.Empty(t, own(p), "%q is a leaf: no gatehouse imports", leaf)
		assert.Empty(t, thirdParty(p), "%q is a leaf: no third-party imports", leaf)
	}
}

func TestAuthPackagesNeverImportEachOther(t *testing.T) {
	pkgs := list(t)
	auth := []string{"bearer", "apikey", "ipallow", "scopes", "ratelimit", "oneof", "dpop", "monitor"}
	allowed := map[string][]string{"bearer": {"dpop"}} // dpop is the protocol layer below bearer
	for _, name := range auth {
		for _, imp := range own(pkgs[name]) {
			if slices.Contains(auth, imp) {
				assert.Contains(t, allowed[name], imp, "%s imports its sibling %s", name, imp)
			}
			assert.NotContains(t, []string{"issuer", "tokenendpoint"}, imp, "%s imports the issuance package %s", name, imp)
		}
	}
	assert.NotContains(t, own(pkgs["issuer"]), "tokenendpoint")
	assert.NotContains(t, own(pkgs["tokenendpoint"]), "issuer")
}

// TestCoreThirdParty: the core module's packages use only the dependencies
// the README names (the conformance kits, test code for store authors, and
// internal/storekit, which they share, also testify); routers, Redis and telemetry live in their own
// modules.
func TestCoreThirdParty(t *testing.T) {
	allowed := []string{"github.com/golang-jwt/jwt/v5", "github.com/MicahParks/jwkset", "golang.org/x/time/rate", "golang.org/x/crypto/bcrypt"}
	kits := []string{"github.com/stretchr/testify/assert", "github.com/stretchr/testify/require"}
	for name, p := range list(t) {
		for _, imp := range thirdParty(p) {
			if (strings.HasSuffix(name, "test") || name == "internal/storekit") && slices.Contains(kits, imp) {
				continue
			}
			assert.Contains(t, allowed, imp, "package %q imports %s", name, imp)
		}
	}
}
