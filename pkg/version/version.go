// Package version reports chainseal's version and the versions of the
// modules it was built with, read from the binary's build information.
package version

import (
	"runtime/debug"
)

// Version is set at release with -ldflags "-X github.com/chainseal/chainseal/pkg/version.Version=v0.1.0".
var Version = ""

// Pinned lists the modules whose versions `chainseal version` reports.
var Pinned = []string{
	"github.com/tektoncd/pipeline",
	"github.com/sigstore/sigstore",
	"github.com/sigstore/rekor",
	"github.com/sigstore/cosign/v2",
	"github.com/google/go-containerregistry",
	"github.com/in-toto/attestation",
	"github.com/hashicorp/vault/api",
}

// Info is what `chainseal version` prints.
type Info struct {
	Version   string            `json:"version"`
	GoVersion string            `json:"goVersion"`
	Modules   map[string]string `json:"modules"`
}

// Get reads the build information of the running binary.
func Get() Info {
	info := Info{Version: Version, Modules: map[string]string{}}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		if info.Version == "" {
			info.Version = "devel"
		}
		return info
	}
	info.GoVersion = bi.GoVersion
	if info.Version == "" {
		info.Version = bi.Main.Version
		if info.Version == "" || info.Version == "(devel)" {
			info.Version = "devel"
		}
	}
	deps := map[string]string{}
	for _, d := range bi.Deps {
		v := d.Version
		if d.Replace != nil {
			v = d.Replace.Version
		}
		deps[d.Path] = v
	}
	for _, m := range Pinned {
		if v, ok := deps[m]; ok {
			info.Modules[m] = v
		}
	}
	return info
}

// Short is the version alone, for builder ids and user agents.
func Short() string { return Get().Version }
