// Command demo runs chainseal end to end on the real local stack (started by
// `make demo`) and prints each step and what it proved. It ends with the line
// "verified", or exits non-zero naming the check that failed.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/chainseal/chainseal/internal/demo"
	"github.com/chainseal/chainseal/internal/stacktest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

func run() error {
	env, err := stacktest.Read()
	if err != nil {
		return fmt.Errorf("%w (start the stack with test/stack/up, or run make demo)", err)
	}
	work, err := os.MkdirTemp("", "chainseal-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "chainseal")
	fmt.Println("==> building chainseal")
	build := exec.Command("go", "build", "-o", bin, "./cmd/chainseal")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/chainseal: %w", err)
	}
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	s := &demo.Scenario{Env: env, Root: root, Chainseal: bin, RBAC: "tasks/rbac.yaml", Out: os.Stdout, Work: work, Suffix: hex.EncodeToString(suffix)}
	return s.Run(ctx)
}
