package provenance

import (
	"fmt"
	"slices"
	"strings"

	"github.com/chainseal/chainseal/pkg/artifacts"
	"github.com/chainseal/chainseal/pkg/config"
)

// restrict leaves out of set the subjects the platform's settings do not
// allow (config.PlatformKeys): those outside chainseal.allowed-repositories.
// Each is reported as a problem and not signed.
func restrict(set *artifacts.Set, cfg config.Config) {
	if len(cfg.AllowedRepositories) == 0 {
		return
	}
	set.Keep(func(s artifacts.Subject) string {
		if slices.ContainsFunc(cfg.AllowedRepositories, func(p string) bool { return config.UnderPrefix(s.Name, p) }) {
			return ""
		}
		return fmt.Sprintf("not under %s (%s)", config.KeyAllowedRepositories, strings.Join(cfg.AllowedRepositories, " "))
	})
}
