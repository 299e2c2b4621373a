package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestSourceDate(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "")
	if got, err := sourceDate(); err != nil || !got.Equal(time.Unix(0, 0)) {
		t.Fatalf("unset: got %v, %v; want the Unix epoch", got, err)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	if got, err := sourceDate(); err != nil || got.Unix() != 1700000000 {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range []string{"yesterday", "-1", "1.5"} {
		t.Setenv("SOURCE_DATE_EPOCH", bad)
		if _, err := sourceDate(); err == nil || !strings.Contains(err.Error(), "SOURCE_DATE_EPOCH") {
			t.Errorf("%q: got %v, want an error naming SOURCE_DATE_EPOCH", bad, err)
		}
	}
}

func TestKoResolveNeedsAnImageRepo(t *testing.T) {
	_, err := koResolve(context.Background(), options{ko: "ko"}, nil, "tasks/chainseal.yaml")
	if err == nil || !strings.Contains(err.Error(), "KO_DOCKER_REPO") {
		t.Fatalf("got %v, want an error naming KO_DOCKER_REPO", err)
	}
}

func TestRunRefusesABadRepo(t *testing.T) {
	_, err := run(context.Background(), nil, options{repo: "Not A Repo", files: []string{"x.yaml"}})
	if err == nil || !strings.Contains(err.Error(), "BUNDLE_REPO") {
		t.Fatalf("got %v, want an error naming BUNDLE_REPO", err)
	}
}
