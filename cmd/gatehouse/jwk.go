package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/MicahParks/jwkset"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/dpop"
)

var jwkGenerateCmd = &command{
	name: "jwk generate",
	args: "-alg ES256|EdDSA|RS256|HS256|… [-kid K] [-bits N] [-out FILE] [-json]",
	about: `Generates a signing key for -alg and prints the private key, as PEM (PKCS #8)
and as a JWK, and the public JWK Set to publish (bearer Config.JWKSURL, or
an issuer's jwks_uri). The kid defaults to the key's RFC 7638 thumbprint, as
issuer.SigningKey's does. An HMAC algorithm (HS256, HS384, HS512) gets a
random secret of the hash's length, as a JWK of type "oct": it has no public
half, so there is no JWK Set to publish — every verifier needs the secret.

With -out FILE the private key goes to files instead of stdout, created with
mode 0600 and never overwritten: FILE holds the private JWK (what token mint
-key and token inspect -key read) and FILE.pem the PEM (not for HMAC). Only
the public JWK Set is printed then.`,
	run: jwkGenerate,
}

func jwkGenerate(_ context.Context, e *env, c *command, args []string) error {
	fs := c.flags()
	alg := fs.String("alg", "", "JWS `algorithm`: "+algNames()+" (required)")
	kid := fs.String("kid", "", "key `id` (default: the RFC 7638 thumbprint)")
	bits := fs.Int("bits", 2048, "RSA modulus `size`, 2048 to 8192")
	out := fs.String("out", "", "write the private key to `FILE` (JWK) and FILE.pem instead of stdout")
	jsonOut := fs.Bool("json", false, "print JSON")
	pos, err := c.parse(e, fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	if *alg == "" {
		return usageErrorf("-alg is required (%s)", algNames())
	}
	info, err := lookupAlg(*alg)
	if err != nil {
		return err
	}
	if info.family == famRSA && (*bits < bearer.MinRSABits || *bits > 8192) {
		return fmt.Errorf("-bits %d is outside %d–8192", *bits, bearer.MinRSABits)
	}

	var priv, pub any
	switch info.family {
	case famHMAC:
		secret := make([]byte, info.hmacLen)
		_, _ = rand.Read(secret) // never fails (crypto/rand)
		priv = secret
	case famRSA:
		k, err := rsa.GenerateKey(rand.Reader, *bits)
		if err != nil {
			return err
		}
		priv, pub = k, k.Public()
	case famECDSA:
		k, err := ecdsa.GenerateKey(info.curve, rand.Reader)
		if err != nil {
			return err
		}
		priv, pub = k, k.Public()
	case famEd25519:
		p, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		priv, pub = k, p
	}
	id := *kid
	if id == "" {
		if secret, ok := priv.([]byte); ok {
			id = octThumbprint(secret)
		} else if id, err = dpop.Thumbprint(pub); err != nil {
			return err
		}
	}
	meta := jwkset.JWKMetadataOptions{ALG: jwkset.ALG(*alg), KID: id, USE: jwkset.UseSig}
	privJWK, err := jwkset.NewJWKFromKey(priv, jwkset.JWKOptions{Marshal: jwkset.JWKMarshalOptions{Private: true}, Metadata: meta})
	if err != nil {
		return fmt.Errorf("encode the private JWK: %w", err)
	}
	privJSON, err := json.Marshal(privJWK.Marshal())
	if err != nil {
		return err
	}
	var privPEM []byte
	var jwks *jwkset.JWKSMarshal
	if pub != nil {
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return err
		}
		privPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
		pubJWK, err := jwkset.NewJWKFromKey(pub, jwkset.JWKOptions{Metadata: meta})
		if err != nil {
			return fmt.Errorf("encode the public JWK: %w", err)
		}
		jwks = &jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{pubJWK.Marshal()}}
		// The set must be one bearer verifies with: check it here rather
		// than hand out a set the middleware would refuse.
		raw, err := json.Marshal(jwks)
		if err != nil {
			return err
		}
		if _, err := bearer.ParseJWKSet(raw); err != nil {
			return fmt.Errorf("the generated JWK Set does not parse: %w", err)
		}
	}
	const noPublic = "none: an HMAC key is symmetric, so there is no public key to publish; every verifier needs the secret itself"

	var files []string
	if *out != "" {
		if err := createSecretFile(*out, append(privJSON, '\n')); err != nil {
			return err
		}
		files = append(files, *out)
		if privPEM != nil {
			if err := createSecretFile(*out+".pem", privPEM); err != nil {
				_ = os.Remove(*out) // nothing half-written
				return err
			}
			files = append(files, *out+".pem")
		}
	}

	if *jsonOut {
		v := struct {
			Alg        string              `json:"alg"`
			Kid        string              `json:"kid"`
			PrivatePEM string              `json:"private_pem,omitempty"`
			PrivateJWK json.RawMessage     `json:"private_jwk,omitempty"`
			Files      []string            `json:"files,omitempty"`
			PublicJWKS *jwkset.JWKSMarshal `json:"public_jwks"`
			Note       string              `json:"note,omitempty"`
		}{Alg: *alg, Kid: id, Files: files, PublicJWKS: jwks}
		if *out == "" {
			v.PrivatePEM, v.PrivateJWK = string(privPEM), privJSON
		}
		if jwks == nil {
			v.Note = "public JWK Set: " + noPublic
		}
		return writeJSON(e.stdout, v)
	}
	w := e.stdout
	fmt.Fprintf(w, "alg %s, kid %s\n", *alg, id)
	if *out != "" {
		fmt.Fprintf(w, "\nprivate key written to %v (mode 0600): keep it secret\n", files)
	} else {
		if privPEM != nil {
			fmt.Fprintf(w, "\nprivate key, PEM (keep it secret):\n%s", privPEM)
		}
		fmt.Fprintf(w, "\nprivate key, JWK (keep it secret):\n%s\n", privJSON)
	}
	if jwks == nil {
		fmt.Fprintf(w, "\npublic JWK Set: %s\n", noPublic)
		return nil
	}
	fmt.Fprintf(w, "\npublic JWK Set (publish it):\n")
	return writeJSON(w, jwks)
}

// createSecretFile writes a new file of mode 0600; an existing file is an
// error, never overwritten.
func createSecretFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s exists: not overwriting a key file", path)
	} else if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(path)
		return err
	}
	return nil
}
