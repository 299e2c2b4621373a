// Package kubeclient holds the Kubernetes clients sign uses: the core/v1 and
// tekton.dev/v1 groups only. Each full clientset (client-go's kubernetes and
// Tekton's versioned, and their fakes) satisfies these interfaces; New makes
// the two typed clients alone, without the other ~50 API groups' clients and
// discovery, which cost the Task image's binary about 7 MB, and every run
// their start-up.
package kubeclient

import (
	"fmt"

	tektonv1 "github.com/tektoncd/pipeline/pkg/client/clientset/versioned/typed/pipeline/v1"
	corev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
)

// Core reads ConfigMaps, Secrets and ServiceAccounts.
type Core interface {
	CoreV1() corev1.CoreV1Interface
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
	core, err := corev1.NewForConfigAndClient(&rc, hc)
	if err != nil {
		return nil, nil, err
	}
	tk, err := tektonv1.NewForConfigAndClient(&rc, hc)
	if err != nil {
		return nil, nil, err
	}
	return coreClient{core}, tektonClient{tk}, nil
}

type coreClient struct{ c *corev1.CoreV1Client }

func (c coreClient) CoreV1() corev1.CoreV1Interface { return c.c }

type tektonClient struct{ c *tektonv1.TektonV1Client }

func (c tektonClient) TektonV1() tektonv1.TektonV1Interface { return c.c }
