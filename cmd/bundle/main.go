// Command bundle builds the chainseal Task as a Tekton bundle and pushes it:
// `make bundle` runs it. It resolves the Task's ko:// image with ko (which
// builds and pushes the chainseal image), packs every Tekton object into one
// annotated layer (pkg/bundle), pushes the bundle and prints its reference
// with its digest.
//
// Without BUNDLE_REPO it targets the real local stack (test/stack/up): its
// registry and credentials, and the static base of images/base pushed there
// so ko needs no network. With BUNDLE_REPO it uses the Docker credentials
// (DOCKER_CONFIG) and KO_DOCKER_REPO, as a release does.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

type fileList []string

func (f *fileList) String() string     { return strings.Join(*f, ",") }
func (f *fileList) Set(v string) error { *f = append(*f, v); return nil }

func main() {
	var o options
	var files fileList
	flag.Var(&files, "f", "Tekton YAML to put in the bundle (repeatable; default tasks/chainseal.yaml and tasks/chainseal-step.yaml)")
	flag.StringVar(&o.repo, "repo", os.Getenv("BUNDLE_REPO"), "where to push the bundle, repository[:tag] (env BUNDLE_REPO; default: the local stack's registry)")
	flag.StringVar(&o.imageRepo, "image-repo", os.Getenv("KO_DOCKER_REPO"), "where ko pushes the chainseal image (env KO_DOCKER_REPO)")
	flag.StringVar(&o.ko, "ko", os.Getenv("KO"), "the ko binary (env KO; default: the stack's, else ko on PATH)")
	flag.StringVar(&o.platform, "platform", "", "ko --platform (default: ko.yaml's defaultPlatforms)")
	flag.StringVar(&o.resolvedOut, "resolved-out", "", "also write the resolved (digest-pinned) YAML here")
	flag.Parse()
	o.files = files
	if len(o.files) == 0 {
		o.files = []string{"tasks/chainseal.yaml", "tasks/chainseal-step.yaml"}
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ref, err := run(context.Background(), logger, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bundle:", err)
		os.Exit(1)
	}
	fmt.Println(ref)
}
