// Command vouchers rebuilds the authentication surface of seed 002 ("three
// authentication means") on gatehouse: an API key alone in the apikey
// header, client sessions opened with an HS256 assertion signed with the
// client's API signature, and machine-to-machine sessions opened with the
// client secret — both at the OAuth token endpoint POST /v2/token. Run it
// with
//
//	go run ./examples/vouchers            (from the repository root)
//
// and see README.md, or -help, for its configuration.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/examples/internal/serve"
	"github.com/gatehouse-go/gatehouse/examples/vouchers/server"
	"github.com/gatehouse-go/gatehouse/tokenendpoint"
)

const usage = `Usage: vouchers [-addr host:port] [-metrics-addr host:port]
       vouchers -sign-assertion [-amount N] [-notification-key K] [-user-id U] [-force-manual-confirm]

Seed 002's API on gatehouse: three authentication means.

Endpoints:
  GET  /v2/stores                 header apikey: <API_KEY>
  POST /v2/token                  {"grant_type":"client_credentials","client_id","client_secret"}  -> m2m session
                                  {"grant_type":"urn:ietf:params:oauth:grant-type:jwt-bearer","client_id","assertion"} -> client session
                                  (JSON, form-urlencoded, or HTTP Basic client authentication)
  POST /v2/vouchers/reserve       Authorization: Bearer <client session>  {"amount":25,"storeId":"store-paris"}
  POST /v2/vouchers/{id}/confirm  Authorization: Bearer <m2m session>

Flags:
  -addr string              listen address (default "127.0.0.1:8080")
  -sign-assertion           print an assertion signed with API_SIGNATURE and exit
  -amount string            assertion amount (default "100")
  -notification-key string  assertion notificationKey (default: random)
  -user-id string           assertion userId (default: none)
  -force-manual-confirm     assertion forceManualConfirm true
` + serve.MetricsUsage + `
Environment:
  API_KEY        the client's API key, also its client_id (default: random per start)
  API_SIGNATURE  the client's HS256 assertion key, at least 32 bytes (default: random per start);
                 8 to 31 bytes (the seed's "monApiSignature") is accepted with a warning on
                 stderr: it violates RFC 7518 §3.2, for existing integrations only
  CLIENT_SECRET  the client's m2m secret (default: random per start)
  SESSION_TTL    session token lifetime, Go duration (default 1h)

Unset values are generated and printed at start-up with ready-made commands.
Assertions must be at most 5 minutes old (30 s clock leeway) and each
notificationKey works once. Reserving more than the session's remaining
amount is 403.
`

func main() {
	serve.Exit("vouchers", run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// options are the parsed flags.
type options struct {
	addr               string
	signAssertion      bool
	amount             string
	notificationKey    string
	userID             string
	forceManualConfirm bool
	metricsAddr        string // the operations listener, "" for none
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := serve.NewFlagSet("vouchers", usage, stderr)
	fs.StringVar(&o.addr, "addr", serve.DefaultAddr, "listen address")
	fs.StringVar(&o.metricsAddr, "metrics-addr", "", "operations listener: /metrics, /healthz, /readyz (default off)")
	fs.BoolVar(&o.signAssertion, "sign-assertion", false, "print a signed assertion and exit")
	fs.StringVar(&o.amount, "amount", "100", "assertion amount")
	fs.StringVar(&o.notificationKey, "notification-key", "", "assertion notificationKey")
	fs.StringVar(&o.userID, "user-id", "", "assertion userId")
	fs.BoolVar(&o.forceManualConfirm, "force-manual-confirm", false, "assertion forceManualConfirm")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return o, nil
}

// credentials are the client's three values, whether they were generated
// and whether the signature is shorter than RFC 7518 §3.2's 32 bytes.
type credentials struct {
	apiKey, signature, secret string
	generated                 bool
	shortSignature            bool
}

func loadCredentials(getenv func(string) string) (credentials, error) {
	c := credentials{apiKey: getenv("API_KEY"), signature: getenv("API_SIGNATURE"), secret: getenv("CLIENT_SECRET")}
	if c.apiKey == "" {
		c.apiKey, c.generated = "demo-"+randomHex(8), true
	}
	if c.signature == "" {
		c.signature, c.generated = randomB64(32), true
	}
	if c.secret == "" {
		c.secret, _ = tokenendpoint.GenerateClientSecret()
		c.generated = true
	}
	if len(c.signature) < tokenendpoint.MinInsecureAssertionKeyBytes {
		return c, fmt.Errorf("API_SIGNATURE must be at least %d bytes (HS256, RFC 7518 §3.2), and never under %d",
			tokenendpoint.MinAssertionKeyBytes, tokenendpoint.MinInsecureAssertionKeyBytes)
	}
	c.shortSignature = len(c.signature) < tokenendpoint.MinAssertionKeyBytes
	return c, nil
}

// warnShortSignature tells the operator that the client's API signature is
// served below RFC 7518 §3.2's minimum.
func warnShortSignature(w io.Writer, c credentials) {
	fmt.Fprintf(w, `WARNING: API_SIGNATURE is %d bytes, shorter than the %d bytes RFC 7518 §3.2 requires for HS256.
WARNING: it is accepted for this client only (tokenendpoint.Client.InsecureShortAssertionKey) so that an
WARNING: existing integration keeps working, but anyone holding one captured assertion can search
WARNING: for a short key offline and then open sessions as the client. Rotate to >= %d random bytes.
`, len(c.signature), tokenendpoint.MinAssertionKeyBytes, tokenendpoint.MinAssertionKeyBytes)
}

// run is the command; it serves until ctx ends or SIGINT/SIGTERM arrives.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.signAssertion {
		return printAssertion(o, getenv, stdout)
	}
	creds, err := loadCredentials(getenv)
	if err != nil {
		return err
	}
	var ttl time.Duration
	if v := getenv("SESSION_TTL"); v != "" {
		if ttl, err = time.ParseDuration(v); err != nil || ttl < time.Second {
			return fmt.Errorf("SESSION_TTL %q is not a duration of at least 1s", v)
		}
	}
	if creds.shortSignature {
		warnShortSignature(stderr, creds)
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	admin, err := serve.OpenAdmin(o.metricsAddr, logger)
	if err != nil {
		return err
	}
	srv, err := server.New(server.Config{
		ClientID:                  creds.apiKey,
		APISignature:              []byte(creds.signature),
		InsecureShortAPISignature: creds.shortSignature,
		ClientSecret:              creds.secret,
		SessionTTL:                ttl,
		Audit:                     admin.Auditor(gatehouse.SlogAuditor(logger)),
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	if err := serve.Banner(stdout, func(w io.Writer) error {
		fmt.Fprintf(w, "vouchers listening on %s\n", base)
		if creds.generated {
			printDemo(w, base, creds)
		}
		return nil
	}); err != nil {
		ln.Close()
		return err
	}
	defer admin.Start(ctx, stdout)()
	return serve.Serve(ctx, ln, envelope.Recover(logger)(srv))
}

// printAssertion signs an assertion as seed 002's PHP sample does.
func printAssertion(o options, getenv func(string) string, stdout io.Writer) error {
	sig := getenv("API_SIGNATURE")
	if sig == "" {
		return errors.New("-sign-assertion needs API_SIGNATURE in the environment")
	}
	nk := o.notificationKey
	if nk == "" {
		nk = randomHex(8)
	}
	jwt, err := server.SignAssertion([]byte(sig), server.Assertion{
		Amount: json.Number(o.amount), NotificationKey: nk, UserID: o.userID, ForceManualConfirm: o.forceManualConfirm,
	})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, jwt)
	return err
}

func printDemo(w io.Writer, base string, c credentials) {
	env := fmt.Sprintf("API_KEY=%s API_SIGNATURE=%s CLIENT_SECRET=%s", c.apiKey, c.signature, c.secret)
	fmt.Fprintf(w, `
Demo credentials (generated for this run; set them in the environment to keep them):
  export %s

Try, in another shell from the repository root, after the export above (jq reads the answers):
  curl -H "apikey: $API_KEY" -X GET %[2]s/v2/stores   # → 200
  ASSERTION=$(go run ./examples/vouchers -sign-assertion -amount 100 -force-manual-confirm)
  CLIENT_SESSION=$(curl -s -d '{"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "client_id": "'"$API_KEY"'", "assertion": "'"$ASSERTION"'"}' -H "Content-Type: application/json" -X POST %[2]s/v2/token | jq -r .access_token)   # → 200
  M2M_SESSION=$(curl -s -d '{"grant_type": "client_credentials", "client_id": "'"$API_KEY"'", "client_secret": "'"$CLIENT_SECRET"'"}' -H "Content-Type: application/json" -X POST %[2]s/v2/token | jq -r .access_token)   # → 200
  VOUCHER=$(curl -s -H "Authorization: Bearer $CLIENT_SESSION" -H "Content-Type: application/json" -d '{"amount": 25, "storeId": "store-paris"}' -X POST %[2]s/v2/vouchers/reserve | jq -r .data.id)   # → 201
  curl -H "Authorization: Bearer $M2M_SESSION" -X POST %[2]s/v2/vouchers/$VOUCHER/confirm   # → 200

`, env, base)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randomB64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
