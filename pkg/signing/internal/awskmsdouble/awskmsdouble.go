// Package awskmsdouble is a TEST DOUBLE of AWS KMS, not AWS KMS: an
// in-process HTTP server that speaks the real KMS wire protocol (JSON 1.1,
// X-Amz-Target: TrentService.*) for DescribeKey, GetPublicKey and Sign with
// one ECDSA P-256 key. No AWS KMS emulator is reachable from this project's
// machines; this lets the unmodified AWS SDK and sigstore's awskms provider
// run end to end. It checks that requests are SigV4-signed, not the
// signature itself.
package awskmsdouble

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
)

// Double is a running fake KMS with one key known by ID and alias.
type Double struct {
	Server *httptest.Server
	Key    *ecdsa.PrivateKey
	KeyID  string // "1234abcd-..."; alias/<Alias> names it too
	Alias  string
	// Signs counts Sign calls, so tests see the round trip happened.
	Signs atomic.Int64
}

// New starts a double; Close it with d.Server.Close.
func New(alias string) (*Double, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	d := &Double{Key: k, KeyID: "1234abcd-12ab-34cd-56ef-1234567890ab", Alias: alias}
	d.Server = httptest.NewServer(http.HandlerFunc(d.serve))
	return d, nil
}

// PublicKeyDER is the key's SubjectPublicKeyInfo.
func (d *Double) PublicKeyDER() []byte {
	b, _ := x509.MarshalPKIXPublicKey(&d.Key.PublicKey)
	return b
}

type request struct {
	KeyID            string `json:"KeyId"`
	Message          []byte `json:"Message"`
	MessageType      string `json:"MessageType"`
	SigningAlgorithm string `json:"SigningAlgorithm"`
}

func (d *Double) serve(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		fail(w, http.StatusBadRequest, "MissingAuthenticationTokenException", "request is not SigV4-signed")
		return
	}
	var req request
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		fail(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	if req.KeyID != d.KeyID && req.KeyID != "alias/"+d.Alias && !strings.HasSuffix(req.KeyID, ":alias/"+d.Alias) {
		// What KMS answers for a key the caller may not use.
		fail(w, http.StatusBadRequest, "AccessDeniedException", "User is not authorized to perform: kms:"+strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "TrentService.")+" on resource "+req.KeyID)
		return
	}
	meta := map[string]any{
		"KeyId": d.KeyID, "Arn": "arn:aws:kms:us-east-1:111122223333:key/" + d.KeyID,
		"KeySpec": "ECC_NIST_P256", "CustomerMasterKeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY",
		"KeyState": "Enabled", "Enabled": true, "SigningAlgorithms": []string{"ECDSA_SHA_256"},
	}
	switch r.Header.Get("X-Amz-Target") {
	case "TrentService.DescribeKey":
		reply(w, map[string]any{"KeyMetadata": meta})
	case "TrentService.GetPublicKey":
		reply(w, map[string]any{"KeyId": meta["Arn"], "PublicKey": d.PublicKeyDER(), "KeySpec": "ECC_NIST_P256",
			"KeyUsage": "SIGN_VERIFY", "SigningAlgorithms": []string{"ECDSA_SHA_256"}})
	case "TrentService.Sign":
		digest := req.Message
		if req.MessageType != "DIGEST" {
			sum := sha256.Sum256(req.Message)
			digest = sum[:]
		}
		if req.SigningAlgorithm != "ECDSA_SHA_256" || len(digest) != sha256.Size {
			fail(w, http.StatusBadRequest, "ValidationException", "unsupported signing request")
			return
		}
		sig, err := ecdsa.SignASN1(rand.Reader, d.Key, digest)
		if err != nil {
			fail(w, http.StatusInternalServerError, "KMSInternalException", err.Error())
			return
		}
		d.Signs.Add(1)
		reply(w, map[string]any{"KeyId": meta["Arn"], "Signature": sig, "SigningAlgorithm": "ECDSA_SHA_256"})
	default:
		fail(w, http.StatusBadRequest, "UnknownOperationException", r.Header.Get("X-Amz-Target"))
	}
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}
