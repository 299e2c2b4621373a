package kubeclient

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
)

// apiDouble is a test double of the API server's core/v1 GET (the real one
// is exercised by the stack tests: TestKubeSecret, the e2e Task runs): one
// ConfigMap, and the API's Status errors for the rest.
func apiDouble(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/namespaces/ns/configmaps/cfg":
			_ = json.NewEncoder(w).Encode(corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
				ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "cfg"}, Data: map[string]string{"k": "v"}})
		case "/api/v1/namespaces/ns/secrets/key":
			st := apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "key", nil).ErrStatus
			w.WriteHeader(int(st.Code))
			_ = json.NewEncoder(w).Encode(st)
		default:
			st := apierrors.NewNotFound(schema.GroupResource{Resource: "serviceaccounts"}, "x").ErrStatus
			w.WriteHeader(int(st.Code))
			_ = json.NewEncoder(w).Encode(st)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// The core client reads typed objects and reports the API's errors so that
// apierrors recognises them (callers tell "not found" from "forbidden").
func TestCoreReadsObjectsAndReportsAPIErrors(t *testing.T) {
	ctx := context.Background()
	core, _, err := New(&rest.Config{Host: apiDouble(t).URL})
	if err != nil {
		t.Fatal(err)
	}
	cm, err := core.ConfigMap(ctx, "ns", "cfg")
	if err != nil || cm.Name != "cfg" || cm.Data["k"] != "v" {
		t.Fatalf("ConfigMap: %+v, %v", cm, err)
	}
	if s, err := core.Secret(ctx, "ns", "key"); !apierrors.IsForbidden(err) || s != nil {
		t.Errorf("Secret: %v, %v; want nil and a Forbidden error", s, err)
	}
	if sa, err := core.ServiceAccount(ctx, "ns", "x"); !apierrors.IsNotFound(err) || sa != nil {
		t.Errorf("ServiceAccount: %v, %v; want nil and a NotFound error", sa, err)
	}
}
