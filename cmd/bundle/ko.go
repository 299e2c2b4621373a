package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// koResolve runs `ko resolve -B -f file...`: ko builds cmd/chainseal, pushes
// it to the image repository and prints the files, in order, with every
// ko:// reference replaced by repository@digest.
func koResolve(ctx context.Context, o options, env []string, files ...string) ([]byte, error) {
	if o.imageRepo == "" {
		return nil, fmt.Errorf("%s names ko:// images: set KO_DOCKER_REPO (or -image-repo) to where ko should push them", strings.Join(files, ", "))
	}
	bin := o.ko
	if bin == "" {
		bin = "ko"
	}
	args := []string{"resolve", "-B"}
	for _, f := range files {
		args = append(args, "-f", f)
	}
	if o.platform != "" {
		args = append(args, "--platform", o.platform)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(env, "KO_DOCKER_REPO="+o.imageRepo)
	// ko reads .ko.yaml by default; ours is ko.yaml (see its header).
	if os.Getenv("KO_CONFIG_PATH") == "" {
		cmd.Env = append(cmd.Env, "KO_CONFIG_PATH=ko.yaml")
	}
	// ko's progress (a cold build takes minutes) goes straight to stderr.
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w (ko's output is above)", bin, strings.Join(args, " "), err)
	}
	return stdout.Bytes(), nil
}
