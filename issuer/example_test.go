package issuer_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/issuer"
	"golang.org/x/crypto/bcrypt"
)

// A login, an API call through the bearer middleware built from the same
// issuer, and a logout that makes the token fail.
func Example() {
	hash, _ := issuer.HashPassword("demo-password", bcrypt.MinCost) // use 0, bcrypt.DefaultCost, in production
	creds, _ := issuer.NewMemoryCredentials(issuer.Account{
		Username: "demo", PasswordHash: hash, ClientID: "123456", Scopes: []string{"products:read"},
	})
	revocations := bearer.NewMemoryRevocations(nil) // shared by issuer and middleware
	iss, err := issuer.New(issuer.Config{
		Issuer:      "rewardstore",
		Key:         issuer.SigningKey{Key: []byte("an-HS256-secret-of-32-bytes-or-more")},
		Credentials: creds,
		Revocations: revocations,
		BcryptCost:  bcrypt.MinCost,
	})
	if err != nil {
		panic(err)
	}
	auth, err := bearer.New(iss.BearerConfig(revocations))
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth/login", iss.Login)
	mux.HandleFunc("POST /auth/logout", iss.Logout)
	mux.Handle("GET /api/v1/products", auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"success":true,"data":[]}`)
	})))

	send := func(method, path, body, token string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		return w
	}

	w := send("POST", "/auth/login", `{"username":"demo","password":"demo-password"}`, "")
	var login struct {
		Data struct {
			AccessToken string `json:"access_token"`
			ClientID    int    `json:"client_id"`
		} `json:"data"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &login)
	fmt.Println("login:", w.Code, w.Header().Get("Cache-Control"), "client_id", login.Data.ClientID)
	fmt.Println("products:", send("GET", "/api/v1/products", "", login.Data.AccessToken).Code)
	fmt.Println("logout:", send("POST", "/auth/logout", "", login.Data.AccessToken).Body)
	fmt.Println("products after logout:", send("GET", "/api/v1/products", "", login.Data.AccessToken).Code)
	// Output:
	// login: 200 no-store client_id 123456
	// products: 200
	// logout: {"success":true,"data":{"logged_out":true}}
	// products after logout: 401
}
