package ipallow_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/ipallow"
)

func ExampleParsePrefixes() {
	set, err := ipallow.ParsePrefixes([]string{"10.0.0.0/8", "10.1.0.0/16", "2001:db8::/32", "192.0.2.7"})
	if err != nil {
		panic(err)
	}
	for _, a := range []string{"10.1.2.3", "::ffff:10.1.2.3", "2001:db8::1", "192.0.2.8"} {
		fmt.Println(a, set.Contains(netip.MustParseAddr(a)))
	}
	_, err = ipallow.ParsePrefixes([]string{"127.1"})
	fmt.Println(err)
	// Output:
	// 10.1.2.3 true
	// ::ffff:10.1.2.3 true
	// 2001:db8::1 true
	// 192.0.2.8 false
	// ipallow: invalid IP or CIDR entry: entry 0 "127.1"
}

func ExampleResolver_Resolve() {
	res, err := ipallow.NewResolver(ipallow.ResolverConfig{TrustedProxies: []string{"10.0.0.0/8"}})
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "10.0.0.1:443" // the load balancer
	r.Header.Add("X-Forwarded-For", "1.1.1.1, 203.0.113.9, 10.0.0.2")
	a, _ := res.Resolve(r)
	fmt.Println(a) // 1.1.1.1 was written by the client itself and is never trusted

	r.Header.Set("X-Forwarded-For", "203.0.113.9, unknown")
	_, err = res.Resolve(r)
	fmt.Println(err)
	// Output:
	// 203.0.113.9
	// envelope: FORBIDDEN: IP address not authorized
}

func ExampleNew() {
	static, err := ipallow.New(ipallow.Config{Allow: []string{"203.0.113.0/24", "2001:db8::/32"}})
	if err != nil {
		panic(err)
	}
	h := static.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello ", gatehouse.ClientAddr(r))
	}))
	for _, remote := range []string{"203.0.113.9:5555", "198.51.100.1:5555"} {
		r := httptest.NewRequest(http.MethodGet, "/v1/orders", nil)
		r.RemoteAddr = remote
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Body.String())
	}
	// Output:
	// 200 hello 203.0.113.9
	// 403 {"error":{"name":"ForbiddenError","code":"FORBIDDEN","message":"IP address not authorized"}}
}

func ExamplePerPrincipal_CheckAccount() {
	ctx := context.Background()
	lists := ipallow.NewMemoryLists()
	_ = lists.Set(ctx, "acct_42", []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")})
	accounts, err := ipallow.NewPerPrincipal(ipallow.PerPrincipalConfig{Lists: lists})
	if err != nil {
		panic(err)
	}
	// In a login handler: the account comes from the request body, the
	// address from gatehouse.ClientAddr(r).
	fmt.Println(accounts.CheckAccount(ctx, "acct_42", netip.MustParseAddr("203.0.113.7")))
	fmt.Println(accounts.CheckAccount(ctx, "acct_42", netip.MustParseAddr("198.51.100.1")))
	fmt.Println(accounts.CheckAccount(ctx, "acct_7", netip.MustParseAddr("198.51.100.1"))) // no entries
	// Output:
	// <nil>
	// envelope: FORBIDDEN: IP address not authorized
	// <nil>
}
