package envelope

import "strings"

// BearerChallenge returns a WWW-Authenticate value for the Bearer scheme
// (RFC 6750 §3): Bearer realm="…", error="…", error_description="…",
// scope="…". Empty arguments are left out; values are quoted-string escaped.
//
//	BearerChallenge("api", "", "", "")                             // Bearer realm="api"
//	BearerChallenge("api", "insufficient_scope", "", "orders:write") // … error="insufficient_scope", scope="orders:write"
func BearerChallenge(realm, errCode, description, scope string) string {
	var b strings.Builder
	b.WriteString("Bearer")
	sep := " "
	param := func(name, value string) {
		if value == "" {
			return
		}
		b.WriteString(sep)
		sep = ", "
		b.WriteString(name)
		b.WriteString(`="`)
		for i := 0; i < len(value); i++ {
			c := value[i]
			switch {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c < 0x20 || c == 0x7f:
				// Control characters cannot appear in a header; drop them.
			default:
				b.WriteByte(c)
			}
		}
		b.WriteByte('"')
	}
	param("realm", realm)
	param("error", errCode)
	param("error_description", description)
	param("scope", scope)
	return b.String()
}
