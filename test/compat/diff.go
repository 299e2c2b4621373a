package compat

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// Kind says how two documents differ at one path.
type Kind string

// Kinds of difference.
const (
	OnlyChains    Kind = "only in Chains"
	OnlyChainseal Kind = "only in chainseal"
	Value         Kind = "different value"
	Order         Kind = "same elements, different order"
)

// Diff is one difference between Chains' document and chainseal's.
type Diff struct {
	Path      string
	Kind      Kind
	Chains    string
	Chainseal string
}

func (d Diff) String() string {
	switch d.Kind {
	case OnlyChains:
		return fmt.Sprintf("%s: %s: %s", d.Path, d.Kind, d.Chains)
	case OnlyChainseal:
		return fmt.Sprintf("%s: %s: %s", d.Path, d.Kind, d.Chainseal)
	}
	return fmt.Sprintf("%s: %s:\n    Chains:    %s\n    chainseal: %s", d.Path, d.Kind, d.Chains, d.Chainseal)
}

// keyed lists the arrays whose elements are matched by identity rather
// than by position, with the fields that make up the identity: these are
// the lists chainseal sorts or merges differently, and matching them by
// identity keeps one difference from showing up as many.
var keyed = map[string][]string{
	"subject": {"name", "digest"},
	"predicate.buildDefinition.resolvedDependencies": {"name", "uri", "digest"},
	"predicate.runDetails.byproducts":                {"name", "uri", "digest"},
	"predicate.materials":                            {"uri", "digest"},
}

// Compare lists every difference between two JSON documents, sorted by path.
func Compare(chains, chainseal []byte) ([]Diff, error) {
	var a, b any
	if err := json.Unmarshal(chains, &a); err != nil {
		return nil, fmt.Errorf("parsing Chains' document: %w", err)
	}
	if err := json.Unmarshal(chainseal, &b); err != nil {
		return nil, fmt.Errorf("parsing chainseal's document: %w", err)
	}
	var out []Diff
	compare("", a, b, &out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func compare(path string, a, b any, out *[]Diff) {
	switch av := a.(type) {
	case map[string]any:
		if bv, ok := b.(map[string]any); ok {
			compareObjects(path, av, bv, out)
			return
		}
	case []any:
		if bv, ok := b.([]any); ok {
			if fields, ok := keyed[path]; ok {
				compareKeyed(path, fields, av, bv, out)
			} else {
				compareArrays(path, av, bv, out)
			}
			return
		}
	}
	if full(a) != full(b) {
		*out = append(*out, Diff{Path: path, Kind: Value, Chains: compact(a), Chainseal: compact(b)})
	}
}

func compareObjects(path string, a, b map[string]any, out *[]Diff) {
	keys := slices.Sorted(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		p := join(path, k)
		av, inA := a[k]
		bv, inB := b[k]
		switch {
		case !inB:
			*out = append(*out, Diff{Path: p, Kind: OnlyChains, Chains: compact(av)})
		case !inA:
			*out = append(*out, Diff{Path: p, Kind: OnlyChainseal, Chainseal: compact(bv)})
		default:
			compare(p, av, bv, out)
		}
	}
}

func compareArrays(path string, a, b []any, out *[]Diff) {
	for i := range max(len(a), len(b)) {
		p := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case i >= len(b):
			*out = append(*out, Diff{Path: p, Kind: OnlyChains, Chains: compact(a[i])})
		case i >= len(a):
			*out = append(*out, Diff{Path: p, Kind: OnlyChainseal, Chainseal: compact(b[i])})
		default:
			compare(p, a[i], b[i], out)
		}
	}
}

// compareKeyed matches elements by identity, compares the matched ones, and
// reports the order once when the common elements come in a different order.
func compareKeyed(path string, fields []string, a, b []any, out *[]Diff) {
	index := func(xs []any) (map[string]any, []string) {
		m := map[string]any{}
		var order []string
		for _, x := range xs {
			k := identity(x, fields)
			for n := 2; m[k] != nil; n++ { // keep repeated elements apart
				k = fmt.Sprintf("%s#%d", identity(x, fields), n)
			}
			m[k] = x
			order = append(order, k)
		}
		return m, order
	}
	am, aOrder := index(a)
	bm, bOrder := index(b)
	var aCommon, bCommon []string
	for _, k := range aOrder {
		p := path + "[" + k + "]"
		if bv, ok := bm[k]; ok {
			aCommon = append(aCommon, k)
			compare(p, am[k], bv, out)
		} else {
			*out = append(*out, Diff{Path: p, Kind: OnlyChains, Chains: compact(am[k])})
		}
	}
	for _, k := range bOrder {
		if _, ok := am[k]; ok {
			bCommon = append(bCommon, k)
		} else {
			*out = append(*out, Diff{Path: path + "[" + k + "]", Kind: OnlyChainseal, Chainseal: compact(bm[k])})
		}
	}
	if !slices.Equal(aCommon, bCommon) {
		*out = append(*out, Diff{Path: path, Kind: Order, Chains: strings.Join(aCommon, ", "), Chainseal: strings.Join(bCommon, ", ")})
	}
}

// identity is name, uri and digest written as name|uri|alg:hex,...
func identity(x any, fields []string) string {
	m, _ := x.(map[string]any)
	parts := make([]string, 0, len(fields))
	for _, f := range fields {
		v := m[f]
		if dm, ok := v.(map[string]any); ok {
			var ds []string
			for _, alg := range slices.Sorted(maps.Keys(dm)) {
				ds = append(ds, fmt.Sprintf("%s:%v", alg, dm[alg]))
			}
			parts = append(parts, strings.Join(ds, ","))
			continue
		}
		if v == nil {
			parts = append(parts, "")
			continue
		}
		parts = append(parts, fmt.Sprint(v))
	}
	return strings.Join(parts, "|")
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// full is a value as JSON (maps with sorted keys), for comparing.
func full(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

// compact is a value as JSON clipped to a readable length, for messages.
func compact(v any) string {
	const limit = 300
	s := full(v)
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}
