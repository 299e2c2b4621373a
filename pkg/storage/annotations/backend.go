package annotations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"

	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/kubeclient"
	"github.com/chainseal/chainseal/pkg/storage"
)

func init() {
	storage.Register(config.StorageTekton, func(_ context.Context, d storage.Deps) (storage.Backend, error) {
		if d.Tekton == nil {
			return nil, errors.New("the tekton backend needs the Kubernetes API: run in a pod or pass --kubeconfig")
		}
		return New(d.Tekton), nil
	})
}

// Backend writes annotations through the API with merge patches of metadata
// only, so nothing else on the object is touched.
type Backend struct {
	client  kubeclient.Tekton
	backoff wait.Backoff
}

// Option configures a Backend.
type Option func(*Backend)

// WithBackoff sets how patches are retried on transient errors.
func WithBackoff(b wait.Backoff) Option { return func(be *Backend) { be.backoff = b } }

// New makes a Backend.
func New(client kubeclient.Tekton, opts ...Option) *Backend {
	b := &Backend{client: client, backoff: wait.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 5}}
	for _, o := range opts {
		o(b)
	}
	return b
}

func (b *Backend) Name() string { return config.StorageTekton }

// WritesLast implements storage.LastWriter: watchers read the annotations as
// "done", so they are written after every other backend.
func (b *Backend) WritesLast() {}

var (
	_ storage.Marker     = (*Backend)(nil)
	_ storage.LastWriter = (*Backend)(nil)
)

// Store annotates each attestation's object with its payload and signature.
func (b *Backend) Store(ctx context.Context, batch storage.Batch) (storage.Receipt, error) {
	r := storage.Receipt{Backend: b.Name()}
	byObject := map[storage.Object]map[string]string{}
	var order []storage.Object
	for _, a := range batch.Attestations {
		if a.Object.UID == "" {
			return r, fmt.Errorf("tekton storage: %s has no UID to key its annotations", a.Object)
		}
		if _, ok := byObject[a.Object]; !ok {
			byObject[a.Object] = map[string]string{}
			order = append(order, a.Object)
		}
		for k, v := range annotationsFor(a) {
			byObject[a.Object][k] = v
		}
	}
	for _, o := range order {
		if err := b.annotate(ctx, o, byObject[o], true); err != nil {
			return r, err
		}
		keys := make([]string, 0, len(byObject[o]))
		for k := range byObject[o] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			r.Locations = append(r.Locations, fmt.Sprintf("%s annotation %s", o, k))
		}
	}
	return r, nil
}

// MarkSigned sets chains.tekton.dev/signed=true (and the transparency
// annotation when a log entry exists) on an object. The orchestrator calls
// it only after every configured backend holds the attestation.
func (b *Backend) MarkSigned(ctx context.Context, o storage.Object, transparencyURL string) error {
	add := map[string]string{SignedAnnotation: "true"}
	if transparencyURL != "" {
		add[TransparencyAnnotation] = transparencyURL
	}
	return b.annotate(ctx, o, add, false)
}

// annotate merge-patches annotations onto the object, retrying transient
// failures: one request. The patch carries the object's UID, which the API
// server refuses to change, so a recreated object of the same name is
// refused, not annotated; and the API server refuses annotations over its
// size limit, all of the patch or nothing. Only a refusal reads the object,
// to say which it was: recreated, gone, or (checkLimit) too large, with
// what to do instead.
func (b *Backend) annotate(ctx context.Context, o storage.Object, add map[string]string, checkLimit bool) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"annotations": add,
		"uid":         o.UID,
	}})
	if err != nil {
		return err
	}
	return retry.OnError(b.backoff, transient, func() error {
		err := b.patch(ctx, o, patch)
		if err != nil && (apierrors.IsInvalid(err) || apierrors.IsConflict(err) || apierrors.IsNotFound(err)) {
			existing, rerr := b.annotations(ctx, o)
			if rerr != nil {
				return rerr
			}
			if checkLimit {
				if serr := checkSize(o, existing, add); serr != nil {
					return serr
				}
			}
		}
		if err != nil {
			return fmt.Errorf("tekton storage: annotating %s: %w", o, err)
		}
		return nil
	})
}

func (b *Backend) patch(ctx context.Context, o storage.Object, patch []byte) error {
	var err error
	switch o.Kind {
	case "PipelineRun":
		_, err = b.client.TektonV1().PipelineRuns(o.Namespace).Patch(ctx, o.Name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: "chainseal"})
	case "TaskRun":
		_, err = b.client.TektonV1().TaskRuns(o.Namespace).Patch(ctx, o.Name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: "chainseal"})
	default:
		return fmt.Errorf("tekton storage: cannot annotate a %s", o.Kind)
	}
	return err
}

func (b *Backend) annotations(ctx context.Context, o storage.Object) (map[string]string, error) {
	var meta metav1.ObjectMeta
	switch o.Kind {
	case "PipelineRun":
		pr, err := b.client.TektonV1().PipelineRuns(o.Namespace).Get(ctx, o.Name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("tekton storage: reading %s: %w", o, err)
		}
		meta = pr.ObjectMeta
	case "TaskRun":
		tr, err := b.client.TektonV1().TaskRuns(o.Namespace).Get(ctx, o.Name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("tekton storage: reading %s: %w", o, err)
		}
		meta = tr.ObjectMeta
	default:
		return nil, fmt.Errorf("tekton storage: cannot annotate a %s", o.Kind)
	}
	if string(meta.UID) != o.UID {
		return nil, fmt.Errorf("tekton storage: %s has UID %s, not %s: it was deleted and recreated; nothing was annotated", o, meta.UID, o.UID)
	}
	return meta.Annotations, nil
}

// transient errors are worth retrying: the API server was busy, timed out
// or is briefly unreachable.
func transient(err error) bool {
	return apierrors.IsConflict(err) || apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) ||
		apierrors.IsTooManyRequests(err) || apierrors.IsInternalError(err) || apierrors.IsServiceUnavailable(err) ||
		apierrors.IsUnexpectedServerError(err)
}
