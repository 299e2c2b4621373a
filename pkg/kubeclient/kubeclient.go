// Package kubeclient holds the Kubernetes clients sign uses: three reads of
// core/v1 objects and the tekton.dev/v1 typed client. The core reads go
// through a REST client whose scheme knows core/v1 alone: client-go's typed
// core/v1 client registers all ~50 API groups of client-go's scheme
// (k8s.io/client-go/kubernetes/scheme) when the program starts, which cost
// every finally task start-up time, memory and about 8 MB of binary, for
// objects it never reads. Package kubeclient/typed adapts a client-go
// clientset (tests, migrate) to Core.
package kubeclient

import (
	"context"
	"fmt"
	"net/http"

	tektonv1 "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/typed/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
)

// Core reads the core/v1 objects a seal needs: its config (ConfigMaps), its
// keys and registry credentials (Secrets), and the ServiceAccount whose
// pull Secrets it may use. Errors are the API's (apierrors.IsNotFound,
// IsForbidden work on them).
type Core interface {
	ConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error)
	Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
	ServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error)
}

// Tekton reads and annotates PipelineRuns and TaskRuns.
type Tekton interface {
	TektonV1() tektonv1.TektonV1Interface
}

// New makes both clients from one REST config. As in a full clientset, they
// share one transport (connections) and one client-side rate limiter.
func New(config *rest.Config) (Core, Tekton, error) {
	rc := *config
	if rc.UserAgent == "" {
		rc.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	if rc.RateLimiter == nil && rc.QPS > 0 {
		if rc.Burst <= 0 {
			return nil, nil, fmt.Errorf("kubernetes client: burst must be greater than 0 when QPS (%v) is set", rc.QPS)
		}
		rc.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(rc.QPS, rc.Burst)
	}
	hc, err := rest.HTTPClientFor(&rc)
	if err != nil {
		return nil, nil, err
	}
	core, err := newCore(rc, hc)
	if err != nil {
		return nil, nil, err
	}
	tk, err := tektonv1.NewForConfigAndClient(&rc, hc)
	if err != nil {
		return nil, nil, err
	}
	return core, tektonClient{tk}, nil
}

// coreScheme knows core/v1 and the meta types the API answers with
// (Status, for errors).
var coreScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := corev1.AddToScheme(s); err != nil {
		panic(err) // registering a fixed set of built-in types cannot fail
	}
	metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
	return s
}()

type coreClient struct{ rc *rest.RESTClient }

func newCore(config rest.Config, hc *http.Client) (Core, error) {
	config.APIPath = "/api"
	config.GroupVersion = &corev1.SchemeGroupVersion
	config.NegotiatedSerializer = serializer.NewCodecFactory(coreScheme).WithoutConversion()
	if config.ContentType == "" {
		config.ContentType = runtime.ContentTypeJSON
	}
	rc, err := rest.RESTClientForConfigAndClient(&config, hc)
	if err != nil {
		return nil, err
	}
	return coreClient{rc}, nil
}

// get reads one object of resource into a new T.
func get[T any, P interface {
	*T
	runtime.Object
}](ctx context.Context, c coreClient, resource, namespace, name string) (*T, error) {
	o := P(new(T))
	if err := c.rc.Get().Namespace(namespace).Resource(resource).Name(name).Do(ctx).Into(o); err != nil {
		return nil, err
	}
	return o, nil
}

func (c coreClient) ConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error) {
	return get[corev1.ConfigMap](ctx, c, "configmaps", namespace, name)
}

func (c coreClient) Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	return get[corev1.Secret](ctx, c, "secrets", namespace, name)
}

func (c coreClient) ServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error) {
	return get[corev1.ServiceAccount](ctx, c, "serviceaccounts", namespace, name)
}

type tektonClient struct{ c *tektonv1.TektonV1Client }

func (c tektonClient) TektonV1() tektonv1.TektonV1Interface { return c.c }
