package seal

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/storage"
)

// takes reports whether backend b is given attestation a: a names it among
// its destinations and, when b is storage.Selective, b accepts it.
func takes(b storage.Backend, a storage.Attestation) bool {
	if !slices.Contains(a.Destinations, b.Name()) {
		return false
	}
	sel, selective := b.(storage.Selective)
	return !selective || sel.Accepts(a)
}

// shareFor is the part of the batch that backend b stores: the records
// naming it among their destinations, less those it does not accept.
func shareFor(b storage.Backend, batch storage.Batch) storage.Batch {
	var out storage.Batch
	for _, a := range batch.Attestations {
		if takes(b, a) {
			out.Attestations = append(out.Attestations, a)
		}
	}
	for _, i := range batch.Images {
		if slices.Contains(i.Destinations, b.Name()) {
			out.Images = append(out.Images, i)
		}
	}
	return out
}

// storedNowhere fails when an attestation would be stored by none of its
// backends (each declined it), naming the config key that adds one. A
// declined attestation is fine as long as another destination keeps it.
func storedNowhere(backends []storage.Backend, batch storage.Batch) error {
	var errs []error
	for _, a := range batch.Attestations {
		if slices.ContainsFunc(backends, func(b storage.Backend) bool { return takes(b, a) }) {
			continue
		}
		errs = append(errs, fmt.Errorf("the %s attestation of %s would be stored nowhere: none of its backends (%s) accepts it; add one that does (e.g. %s or %s) to %s",
			a.Format, a.Object, strings.Join(a.Destinations, ", "), config.StorageTekton, config.StorageFile, storageKey(a.Object)))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w; nothing was stored", errors.Join(errs...))
	}
	return nil
}

// storageKey is the config key that lists the backends of o's attestations.
func storageKey(o storage.Object) string {
	if o.Kind == "TaskRun" {
		return config.KeyTaskRunStorage
	}
	return config.KeyPipelineRunStorage
}

// objectsIn lists the objects with an attestation in share, once each: a
// marker marks only those it stored (Chains' behaviour, and the only case
// where chainseal has permission to patch them).
func objectsIn(share storage.Batch) []storage.Object {
	var out []storage.Object
	for _, a := range share.Attestations {
		if !slices.Contains(out, a.Object) {
			out = append(out, a.Object)
		}
	}
	return out
}
