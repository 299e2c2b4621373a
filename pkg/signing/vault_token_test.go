package signing

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainseal/chainseal/pkg/config"
)

// Attack (issue #14): the Vault address is a config value; chainseal sent
// the pod's ServiceAccount token (audience: the API server, an hour long)
// to it in the clear, or to wherever it pointed. Now a token goes over
// https only (http only to loopback), and only the Task's projected,
// audience-bound (vault) token is sent, never the pod's API token.
func TestVaultLoginSendsOnlyAnAudienceBoundTokenOverHTTPS(t *testing.T) {
	ctx := context.Background()
	// A listener that would receive the token: nothing must connect to it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("eyJ.sa-token.sig"), 0o600); err != nil {
		t.Fatal(err)
	}
	login := func(addr, tokenPath string) error {
		kv := map[string]string{config.KeyKMSRef: "hashivault://release", config.KeyKMSAuthAddress: addr, config.KeyKMSAuthKubernetesRole: "chainseal"}
		if tokenPath != "" {
			kv[config.KeyKMSAuthKubernetesTokenPath] = tokenPath
		}
		_, err := Load(ctx, config.SignerKMS, kmsConfig(t, kv))
		return err
	}
	for _, addr := range []string{"http://vault.example:8200", "http://10.0.0.7:8200", "ftp://vault.example"} {
		err := login(addr, tokenFile)
		if !errors.Is(err, errInsecureVaultAddr) || !strings.Contains(err.Error(), "https://") || !strings.Contains(err.Error(), config.KeyKMSAuthAddress) {
			t.Errorf("%s: err = %v, want refused, naming https and %s", addr, err, config.KeyKMSAuthAddress)
		}
		assertNoSecret(t, err, "eyJ.sa-token.sig")
	}

	// The default token path is the pod's API token: it is replaced by the
	// projected one, and without that the login is refused.
	old := vaultTokenPath
	t.Cleanup(func() { vaultTokenPath = old })
	vaultTokenPath = filepath.Join(dir, "no-such-projected-token")
	err = login("http://"+l.Addr().String(), "")
	if err == nil || !strings.Contains(err.Error(), "audience") || !strings.Contains(err.Error(), vaultTokenPath) {
		t.Fatalf("no projected token: err = %v, want refused naming the projected token's path", err)
	}
	// With the projected token, it logs in (here: an http loopback Vault
	// that answers nothing useful).
	vaultTokenPath = tokenFile
	l.Close()
	err = login("http://"+l.Addr().String(), config.Defaults()[config.KeyKMSAuthKubernetesTokenPath])
	if err == nil || !strings.Contains(err.Error(), "cannot reach Vault") {
		t.Fatalf("with the projected token: err = %v, want a login attempt", err)
	}
}
