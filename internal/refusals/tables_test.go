package refusals_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/gatehouse-go/gatehouse/tokenendpoint"
)

// TestRefusalTables checks the refusal tables (Refusals) of the packages
// that export one: every row names one of the package's own sentinels, once,
// with a refusal status, a client message and a reason, and no two rows of
// a table share a reason, so a reason names one refusal.
func TestRefusalTables(t *testing.T) {
	reason := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	for pkg, rows := range map[string][]gatehouse.Refusal{
		"issuer":        issuer.Refusals(),
		"tokenendpoint": tokenendpoint.Refusals(),
	} {
		assert.NotEmpty(t, rows, pkg)
		errs := map[error]bool{}
		reasons := map[gatehouse.Reason]bool{}
		for _, r := range rows {
			if !assert.NotNil(t, r.Err, pkg) {
				continue
			}
			assert.True(t, strings.HasPrefix(r.Err.Error(), pkg+": "), "%s: %v is another package's", pkg, r.Err)
			assert.False(t, errs[r.Err], "%s: %v has two rows", pkg, r.Err)
			errs[r.Err] = true
			assert.True(t, r.Status >= 400 && r.Status < 600, "%s: %v status %d", pkg, r.Err, r.Status)
			assert.NotEmpty(t, r.Message, "%s: %v", pkg, r.Err)
			assert.Regexp(t, reason, string(r.Reason), "%s: %v", pkg, r.Err)
			assert.False(t, reasons[r.Reason], "%s: reason %q names two refusals", pkg, r.Reason)
			reasons[r.Reason] = true
		}
		// The table is a copy: changing it changes nothing.
		rows[0].Status = 200
		again := map[string][]gatehouse.Refusal{"issuer": issuer.Refusals(), "tokenendpoint": tokenendpoint.Refusals()}[pkg]
		assert.NotEqual(t, 200, again[0].Status, pkg)
	}
}
