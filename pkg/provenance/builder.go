package provenance

import "github.com/chainseal/chainseal/pkg/config"

// builder is an SLSA v1.0 runDetails.builder.
type builder struct {
	ID      string            `json:"id"`
	Version map[string]string `json:"version,omitempty"`
}

// builderID is builder.id, chainseal unless the platform named another.
func builderID(cfg config.Config) string {
	if cfg.BuilderID == "" {
		return config.DefaultBuilderID
	}
	return cfg.BuilderID
}

// builderOf is runDetails.builder: builder.id and chainseal's version when
// known.
func builderOf(cfg config.Config, version string) builder {
	b := builder{ID: builderID(cfg)}
	if version != "" {
		b.Version = map[string]string{"chainseal": version}
	}
	return b
}
