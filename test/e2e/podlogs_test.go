//go:build stack

package e2e

import (
	"context"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/chainseal/chainseal/internal/kubetest"
	"github.com/chainseal/chainseal/internal/stacktest"
)

// stepLogs follows the log of one container of every pod matching a label
// selector, from when each pod appears until its container ends
// (`kubectl logs -f`). Reading a finished pod's log afterwards is not
// reliable on the stack's node (the kubelet may already have removed the
// pod's log directory), so the tests read what they followed.
type stepLogs struct {
	mu   sync.Mutex
	logs map[string]*strings.Builder
	wg   sync.WaitGroup
	stop context.CancelFunc
}

func followStepLogs(t testing.TB, env *stacktest.Env, ns, selector, container string) *stepLogs {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	s := &stepLogs{logs: map[string]*strings.Builder{}, stop: cancel}
	kube := kubetest.Admin(t, env)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for ctx.Err() == nil {
			if list, err := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector}); err == nil {
				for _, p := range list.Items {
					s.mu.Lock()
					_, seen := s.logs[p.Name]
					if !seen {
						s.logs[p.Name] = &strings.Builder{}
						s.wg.Add(1)
						go s.follow(ctx, env, ns, p.Name, container)
					}
					s.mu.Unlock()
				}
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	t.Cleanup(func() { s.stop(); s.wg.Wait() })
	return s
}

// follow retries until the container has started, then streams its log
// to its end.
func (s *stepLogs) follow(ctx context.Context, env *stacktest.Env, ns, pod, container string) {
	defer s.wg.Done()
	for ctx.Err() == nil {
		cmd := exec.CommandContext(ctx, env.Kubectl(), "logs", "-f", "-n", ns, pod, "-c", container)
		cmd.Env = env.Environ()
		out, err := cmd.Output()
		if err == nil {
			s.mu.Lock()
			s.logs[pod].Reset()
			s.logs[pod].Write(out)
			s.mu.Unlock()
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// get waits (at most a minute) for the followed log of pod to end and
// returns it.
func (s *stepLogs) get(pod string) string {
	for start := time.Now(); time.Since(start) < time.Minute; time.Sleep(100 * time.Millisecond) {
		s.mu.Lock()
		b, ok := s.logs[pod]
		text := ""
		if ok {
			text = b.String()
		}
		s.mu.Unlock()
		if text != "" {
			return text
		}
	}
	return "(no log followed for pod " + pod + ")"
}
