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
		b.WriteByte('=')
		writeQuoted(&b, value)
	}
	param("realm", realm)
	param("error", errCode)
	param("error_description", description)
	param("scope", scope)
	return b.String()
}

// AppendAuthParam returns the challenge ch with the auth-param
// name="value" appended (value quoted-string escaped), or ch itself when
// value is empty:
//
//	AppendAuthParam(`Bearer realm="api"`, "resource_metadata", u) // Bearer realm="api", resource_metadata="…"
//	AppendAuthParam("Bearer", "resource_metadata", u)             // Bearer resource_metadata="…"
func AppendAuthParam(ch, name, value string) string {
	if value == "" {
		return ch
	}
	sep := ", "
	if !strings.Contains(ch, " ") {
		sep = " " // the scheme alone
	}
	return ch + sep + name + "=" + QuotedString(value)
}

// QuotedString returns s as an HTTP quoted-string (RFC 9110 §5.6.4) for an
// auth-param such as a challenge's realm: '"' and '\\' escaped, control
// characters (which cannot appear in a header) dropped.
func QuotedString(s string) string {
	var b strings.Builder
	writeQuoted(&b, s)
	return b.String()
}

func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}
