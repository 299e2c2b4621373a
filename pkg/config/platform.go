package config

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/chainseal/chainseal/pkg/kubeclient"
)

// The platform team's settings live in one ConfigMap of the installation
// namespace, which tenants cannot write (tasks/platform.yaml).
const (
	PlatformNamespace     = "chainseal-system"
	PlatformConfigMapName = "chainseal-platform"
	// DefaultPlatformConfig is --platform-config's default, namespace/name.
	DefaultPlatformConfig = PlatformNamespace + "/" + PlatformConfigMapName
	// PlatformNamespacePrefix scopes a platform key to one namespace:
	// namespace.<ns>.<key> is <key> for the runs of <ns>, over <key>.
	PlatformNamespacePrefix = "namespace."
)

// narrowing reports whether a tenant's value t only narrows the platform's
// value p (both trimmed). equal is the rule of the keys a tenant may not
// change at all.
type narrowing struct {
	allowed func(p, t string) bool
	rule    string // how a tenant may narrow it, for the error
}

var (
	equal      = narrowing{func(p, t string) bool { return p == t }, ""}
	signerRule = narrowing{func(p, t string) bool { return p == t || t == SignerNone }, "a tenant may only set it to none"}
	onlyOff    = narrowing{func(p, t string) bool { b, err := strconv.ParseBool(t); return err == nil && (!b || isTrue(p)) }, "a tenant may only turn it off"}
	// atLeast orders transparency.enabled false < manual < true: "manual"
	// logs only the runs a tenant annotates, so under a platform "true" it
	// would let a tenant keep any run out of the log.
	atLeast = narrowing{func(p, t string) bool { return transparencyLevel(t) >= transparencyLevel(p) }, "a tenant may only log more runs (false < manual < true)"}
	onlyOn  = narrowing{func(p, t string) bool {
		tb, err := strconv.ParseBool(t)
		pb, _ := strconv.ParseBool(p)
		return err == nil && (tb || !pb)
	}, "a tenant may only turn it on"}
	subset = narrowing{func(p, t string) bool { return Within(t, p) }, "a tenant may only name repositories under the platform's"}
)

func isTrue(v string) bool {
	v = strings.ToLower(v)
	return v == "true" || v == "manual"
}

// transparencyLevel ranks a transparency.enabled value by how many runs it
// logs; a value the config does not accept ranks lowest, so it never passes
// as a narrowing (Parse refuses it with the accepted values).
func transparencyLevel(v string) int {
	switch strings.ToLower(v) {
	case "true":
		return 2
	case "manual":
		return 1
	case "false":
		return 0
	}
	return -1
}

// platformKeys are the settings that decide what a signature means: who
// the builder is, which log is trusted, which key signs, and what may be
// named a subject. The platform team owns them; a tenant's ConfigMap and
// --config flags may only narrow them, by each key's rule.
var platformKeys = map[string]narrowing{
	KeyBuilderID:                 equal,
	KeyTransparencyURL:           equal,
	KeyTransparencyPublicKey:     equal,
	KeyTransparencyEnabled:       atLeast,
	KeyPipelineRunDeepInspection: onlyOff,
	KeyAllowedRepositories:       subset,
	KeySubjectProducers:          subset,
	KeyCheckImagesExist:          onlyOn,

	KeyPipelineRunSigner: signerRule,
	KeyTaskRunSigner:     signerRule,
	KeyOCISigner:         signerRule,

	KeyKMSRef:                     equal,
	KeyKMSAuthAddress:             equal,
	KeyKMSAuthToken:               equal,
	KeyKMSAuthTokenPath:           equal,
	KeyKMSAuthOIDCPath:            equal,
	KeyKMSAuthOIDCRole:            equal,
	KeyKMSSpireSock:               equal,
	KeyKMSSpireAudience:           equal,
	KeyKMSAuthKubernetesRole:      equal,
	KeyKMSAuthKubernetesPath:      equal,
	KeyKMSAuthKubernetesTokenPath: equal,

	KeyFulcioEnabled:     equal,
	KeyFulcioAddress:     equal,
	KeyFulcioIssuer:      equal,
	KeyFulcioProvider:    equal,
	KeyIdentityTokenFile: equal,
	KeyTUFMirrorURL:      equal,
	KeyFulcioTrustedRoot: equal,
}

// PlatformKeys lists the keys the platform team owns, sorted.
func PlatformKeys() []string { return slices.Sorted(maps.Keys(platformKeys)) }

// IsPlatformKey reports whether the platform team owns key.
func IsPlatformKey(key string) bool { _, ok := platformKeys[key]; return ok }

// Platform is the platform team's settings for one namespace.
type Platform struct {
	// Source names where they were read, for messages.
	Source    string
	Namespace string
	// Values are the keys the platform set for Namespace: its global keys
	// with its namespace.<Namespace>.<key> keys over them.
	Values map[string]string
}

// PlatformFor picks from a platform ConfigMap's data the settings of
// namespace ns. It returns nil when the platform governs no such namespace:
// the data sets no global key and no namespace.<ns>.<key>. A key the
// platform does not own, or does not exist, is an error: the platform's
// file says exactly what it decides.
func PlatformFor(source string, data map[string]string, ns string) (*Platform, error) {
	global, scoped := map[string]string{}, map[string]string{}
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(data)) {
		key, target := k, global
		if rest, ok := strings.CutPrefix(k, PlatformNamespacePrefix); ok {
			n, kk, ok := strings.Cut(rest, ".")
			if !ok || n == "" {
				errs = append(errs, fmt.Errorf("%s: key %q: use %s<namespace>.<key>", source, k, PlatformNamespacePrefix))
				continue
			}
			if n != ns {
				continue
			}
			key, target = kk, scoped
		}
		if _, known := fields[key]; !known {
			errs = append(errs, fmt.Errorf("%s: %w", source, unknownKey(key)))
			continue
		}
		if !IsPlatformKey(key) {
			errs = append(errs, fmt.Errorf("%s: key %q is a tenant setting, not the platform's: tenants set it in their namespace's chainseal-config (the platform's keys are %s)", source, k, strings.Join(PlatformKeys(), ", ")))
			continue
		}
		target[key] = strings.TrimSpace(data[k])
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(global) == 0 && len(scoped) == 0 {
		return nil, nil
	}
	maps.Copy(global, scoped)
	return &Platform{Source: source, Namespace: ns, Values: global}, nil
}

// Value is the platform's value of key for its namespace: the one it set,
// else the default (of the tenant's chainseal.compat mode).
func (p *Platform) Value(key, compat string) string {
	if v, ok := p.Values[key]; ok {
		return v
	}
	return DefaultsFor(compat)[key]
}

// Apply lays the platform's settings over a tenant's key/value pairs
// (their ConfigMap and --config flags, named by tenantSource). A platform
// key the tenant set is refused, with an error naming the platform's
// setting, unless it equals the platform's value or only narrows it. A nil
// Platform (no platform settings for the namespace) returns tenant as is.
func (p *Platform) Apply(tenant map[string]string, tenantSource string) (map[string]string, error) {
	if p == nil {
		return tenant, nil
	}
	out := maps.Clone(tenant)
	if out == nil {
		out = map[string]string{}
	}
	compat := strings.TrimSpace(tenant[KeyCompat])
	var errs []error
	for _, k := range PlatformKeys() {
		pv := p.Value(k, compat)
		tv, set := tenant[k]
		tv = strings.TrimSpace(tv)
		if !set {
			if _, ok := p.Values[k]; ok {
				out[k] = pv
			}
			continue
		}
		if tv == pv {
			continue
		}
		n := platformKeys[k]
		if n.allowed(pv, tv) {
			continue
		}
		rule := ""
		if n.rule != "" {
			rule = " (" + n.rule + ")"
		}
		errs = append(errs, fmt.Errorf("config key %q is a platform setting%s: %s sets it, and only the platform team may, in %s (key %s or %s%s.%s); remove it from %s",
			k, rule, tenantSource, p.Source, k, PlatformNamespacePrefix, p.Namespace, k, tenantSource))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// FromPlatformConfigMap reads the platform's ConfigMap ("namespace/name").
// It returns nil data, and why, when there is none for this reader: not
// found, or not readable (the platform team grants each namespace's
// chainseal ServiceAccount get on it, tasks/platform.yaml; a tenant can
// neither create it nor take the grant away).
func FromPlatformConfigMap(ctx context.Context, c kubeclient.Core, ref string) (map[string]string, string, error) {
	ns, name, ok := strings.Cut(ref, "/")
	if !ok || ns == "" || name == "" {
		return nil, "", fmt.Errorf("--platform-config %q: use namespace/name, e.g. %s", ref, DefaultPlatformConfig)
	}
	cm, err := c.ConfigMap(ctx, ns, name)
	switch {
	case apierrors.IsNotFound(err):
		return nil, fmt.Sprintf("ConfigMap %s not found", ref), nil
	case apierrors.IsForbidden(err):
		return nil, fmt.Sprintf("ConfigMap %s not readable by this ServiceAccount", ref), nil
	case err != nil:
		return nil, "", fmt.Errorf("reading the platform's ConfigMap %s: %w", ref, err)
	}
	if cm.Data == nil {
		return map[string]string{}, "", nil
	}
	return cm.Data, "", nil
}

// Within reports whether every repository prefix in list lies under one
// in of (both space- or comma-separated). An empty of allows anything; an
// empty list (the tenant's "any") is within only an empty of.
func Within(list, of string) bool {
	outer := SplitList(of)
	if len(outer) == 0 {
		return true
	}
	inner := SplitList(list)
	if len(inner) == 0 {
		return false
	}
	for _, r := range inner {
		if !slices.ContainsFunc(outer, func(o string) bool { return UnderPrefix(r, o) }) {
			return false
		}
	}
	return true
}

// UnderPrefix reports whether name is prefix or lies under it: prefix
// followed by "/", or by "@" or ":" (a reference's digest or tag), or a
// prefix ending in "/" or ":".
func UnderPrefix(name, prefix string) bool {
	if name == prefix {
		return true
	}
	if !strings.HasPrefix(name, prefix) {
		return false
	}
	return strings.HasSuffix(prefix, "/") || strings.HasSuffix(prefix, ":") || strings.ContainsRune("/@:", rune(name[len(prefix)]))
}

// SplitList splits a space- or comma-separated list, dropping empties.
func SplitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' })
}
