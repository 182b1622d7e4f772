package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"github.com/gatehouse-go/gatehouse/tokenendpoint"
)

var secretGenerateCmd = &command{
	name: "secret generate",
	args: "[-json]",
	about: `Generates a client secret for the token endpoint's client_credentials grant
(tokenendpoint.GenerateClientSecret: 256 random bits, base64url) and prints
it once, on the first line of stdout, followed by the hash to store: its
SHA-256 (tokenendpoint.Client.SecretHash), in hex and in base64. Hand the
secret to the client; store only the hash.`,
	run: secretGenerate,
}

func secretGenerate(_ context.Context, e *env, c *command, args []string) error {
	fs := c.flags()
	jsonOut := fs.Bool("json", false, "print the secret and its hash as JSON")
	pos, err := c.parse(e, fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	secret, hash := tokenendpoint.GenerateClientSecret()
	hexHash, b64Hash := hex.EncodeToString(hash[:]), base64.StdEncoding.EncodeToString(hash[:])
	if *jsonOut {
		return writeJSON(e.stdout, struct {
			Secret     string `json:"secret"`
			HashHex    string `json:"hash_hex"`
			HashBase64 string `json:"hash_base64"`
		}{secret, hexHash, b64Hash})
	}
	fmt.Fprintf(e.stdout, "%s\nhash (SHA-256, hex)     %s\nhash (SHA-256, base64)  %s\n", secret, hexHash, b64Hash)
	return nil
}
