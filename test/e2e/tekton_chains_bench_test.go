//go:build stack

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	tektonclient "github.com/tektoncd/pipeline/pkg/client/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"knative.dev/pkg/apis"

	"github.com/chainseal/chainseal/internal/kubetest"
)

// BenchmarkTektonVsChains runs the same Release Pipeline (build pushes an
// image, test checks it) on real Tekton v1.15.0 and the stack's node, b.N
// times on each side, the sides alternating:
//
//   - chainseal: the Pipeline with chainseal (from its bundle) as its
//     finally task;
//   - Chains: the Pipeline without it, and the Tekton Chains controller
//     (v0.26.0, $CHAINS_CONTROLLER; skipped when unset) watching its
//     namespace, out of cluster against the same API server.
//
// Both sides read the same chains-config (tektonBenchConfig): PipelineRun
// provenance slsa/v2alpha4 with deep inspection, x509 signer with a
// cosign key, storage oci + tekton, the image signed, Rekor on, no TaskRun
// attestations. Per run it measures:
//
//   - verifiable: the last pipeline task (test) seen Succeeded → the
//     attestation verifiable, that is: the image's sha256-<hex>.att tag
//     answers in the registry (polled every 50 ms), and a `cosign
//     verify-attestation --key --type slsaprovenance1 --rekor-url`
//     started right after that poll passes (the time is the poll's; when
//     cosign fails, polling goes on);
//   - wall: the PipelineRun created → seen done (chainseal's includes its
//     finally task; Chains adds nothing to it but works after it);
//   - CPU over the run (created → done, verifiable and, for Chains, the
//     PipelineRun marked signed): the pods' cgroups, kubelet + containerd,
//     and the Chains controller;
//   - memory: the chainseal pod's cgroup peak; Chains' RSS and peak;
//   - chainseal's parts (as BenchmarkFinallyLatency): schedule, pod, seal,
//     record.
//
// Chains' idle cost (CPU per minute and RSS, no runs) is measured for
// $TEKTON_BENCH_IDLE (default 30s) after it is ready. With
// $TEKTON_BENCH_OUT, the results are written there as JSON (make bench
// reads them into docs/benchmarks). Run with:
//
//	CHAINS_CONTROLLER=~/.cache/chainseal/bin/chains-v0.26.0/controller TEKTON_BENCH_RUNS=10 \
//	test/stack/exec go test -tags stack ./test/e2e -run '^$' -bench TektonVsChains -benchtime 1x -timeout 60m
func BenchmarkTektonVsChains(b *testing.B) {
	bin := os.Getenv("CHAINS_CONTROLLER")
	if bin == "" {
		b.Skip("CHAINS_CONTROLLER is not set (test/stack/build chains builds it; make bench sets it)")
	}
	idle := 30 * time.Second
	if v := os.Getenv("TEKTON_BENCH_IDLE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("TEKTON_BENCH_IDLE: %v", err)
		}
		idle = d
	}
	// $TEKTON_BENCH_RUNS runs per side in one call (make bench runs it with
	// -benchtime 1x: go test calls a benchmark with b.N = 1 before the
	// b.N asked, and each call sets up its namespaces and Chains again).
	runs := b.N
	if v := os.Getenv("TEKTON_BENCH_RUNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("TEKTON_BENCH_RUNS=%q: want a number of runs", v)
		}
		runs = n
	}
	res := tektonBench{Runs: runs, LoadStart: loadAverage(), Config: tektonBenchConfig}
	var err error

	seal := newFailureCase(b, "bench-seal", tektonBenchConfig)
	chains := newFailureCase(b, "bench-chains", tektonBenchConfig)
	bundle, _ := stepImages(b, seal.env)
	res.Image = bundle.Image
	if res.ImageCompressed, err = compressedSize(seal, bundle.Image); err != nil {
		b.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(chains.work, "cosign.key"))
	if err != nil {
		b.Fatal(err)
	}
	// Chains' config: the same keys, and the Rekor URL newFailureCase
	// gives chainseal's (Chains' default is the public Rekor).
	chainsConfig := map[string]string{"transparency.url": chains.env.RekorURL()}
	maps.Copy(chainsConfig, tektonBenchConfig)
	ctrl := startChainsController(b, chains.env, bin, chains.ns, chainsConfig,
		map[string][]byte{"cosign.key": key, "cosign.password": []byte("failure-cosign-password")},
		dockerConfig(b, chains.env))
	res.ChainsReadySeconds = ctrl.ready.Seconds()
	_, res.ChainsReadyRSS, _, _ = ctrl.stat()
	// Idle: after 10 s for the start-up to settle, a window with no runs.
	time.Sleep(10 * time.Second)
	cpu0, _, _, err := ctrl.stat()
	if err != nil {
		b.Fatal(err)
	}
	time.Sleep(idle)
	cpu1, rss, _, err := ctrl.stat()
	if err != nil {
		b.Fatal(err)
	}
	res.ChainsIdleSeconds, res.ChainsIdleCPU, res.ChainsIdleRSS = idle.Seconds(), cpu1-cpu0, rss
	for _, list := range []func() (int, error){
		func() (int, error) {
			l, err := kubetest.AdminTekton(b, seal.env).TektonV1().PipelineRuns("").List(context.Background(), metav1.ListOptions{})
			if err != nil {
				return 0, err
			}
			return len(l.Items), nil
		},
		func() (int, error) {
			l, err := kubetest.AdminTekton(b, seal.env).TektonV1().TaskRuns("").List(context.Background(), metav1.ListOptions{})
			if err != nil {
				return 0, err
			}
			return len(l.Items), nil
		},
	} {
		n, err := list()
		if err != nil {
			b.Fatal(err)
		}
		res.ClusterRuns += n
	}

	tk := kubetest.AdminTekton(b, seal.env)
	b.ResetTimer()
	// Run -1 is a warm-up, not counted: the node pulls the chainseal image
	// (and the build's) on first use; its figures are kept apart.
	for n := -1; n < runs; n++ {
		for _, side := range []string{"chainseal", "chains"} {
			var r tektonRun
			var err error
			for attempt := 0; ; attempt++ {
				if side == "chainseal" {
					r, err = runTektonSide(b, tk, seal, nil, fmt.Sprintf("seal-%d-%d", n, attempt))
				} else {
					r, err = runTektonSide(b, tk, chains, ctrl, fmt.Sprintf("chains-%d-%d", n, attempt))
				}
				var noLog *lostLogError
				if err != nil && errorsAs(err, &noLog) && attempt < 2 {
					b.Logf("%s run %d: %v; run again", side, n, err)
					continue
				}
				break
			}
			if err != nil {
				b.Fatalf("%s run %d: %v", side, n, err)
			}
			b.Logf("%s run %d: %s", side, n, r)
			if n < 0 {
				if side == "chainseal" {
					res.WarmupChainseal = &r
				} else {
					res.WarmupChains = &r
				}
				continue
			}
			if side == "chainseal" {
				res.Chainseal = append(res.Chainseal, r)
			} else {
				res.Chains = append(res.Chains, r)
			}
		}
	}
	b.StopTimer()
	_, rss, peak, err := ctrl.stat()
	if err != nil {
		b.Fatal(err)
	}
	res.ChainsEndRSS, res.ChainsPeakRSS = rss, peak
	res.ChainsErrors = len(ctrl.errors())
	res.LoadEnd = loadAverage()

	for _, side := range []struct {
		name string
		runs []tektonRun
	}{{"chainseal", res.Chainseal}, {"chains", res.Chains}} {
		for _, m := range []struct {
			name string
			get  func(tektonRun) float64
		}{
			{"verifiable", func(r tektonRun) float64 { return r.VerifiableMs }},
			{"wall", func(r tektonRun) float64 { return r.WallMs }},
		} {
			var v []float64
			for _, r := range side.runs {
				v = append(v, m.get(r))
			}
			slices.Sort(v)
			b.ReportMetric(median(v), side.name+"-"+m.name+"-median-ms")
			b.ReportMetric(nearestRank(v, 0.95), side.name+"-"+m.name+"-p95-ms")
		}
	}
	if out := os.Getenv("TEKTON_BENCH_OUT"); out != "" {
		js, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(out, js, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// tektonBenchConfig is the chains-config of both sides.
var tektonBenchConfig = map[string]string{
	"artifacts.pipelinerun.format":                 "slsa/v2alpha4",
	"artifacts.pipelinerun.storage":                "oci,tekton",
	"artifacts.pipelinerun.signer":                 "x509",
	"artifacts.pipelinerun.enable-deep-inspection": "true",
	"artifacts.taskrun.signer":                     "none",
	"artifacts.oci.storage":                        "oci",
	"artifacts.oci.signer":                         "x509",
	"transparency.enabled":                         "true",
}

// tektonBench is what BenchmarkTektonVsChains writes (test/bench reads it).
type tektonBench struct {
	Runs               int
	LoadStart, LoadEnd string
	Config             map[string]string
	Chainseal, Chains  []tektonRun
	// The warm-up runs (not counted): the first pulls the images.
	WarmupChainseal, WarmupChains *tektonRun
	ChainsReadySeconds            float64
	ChainsReadyRSS                int64
	ChainsIdleSeconds             float64
	ChainsIdleCPU                 float64
	ChainsIdleRSS                 int64
	ChainsEndRSS                  int64
	ChainsPeakRSS                 int64
	ChainsErrors                  int
	Image                         string // the chainseal image the finally task runs
	ImageCompressed               int64  // its manifest, config and layers as stored in the registry (compressed), bytes
	ClusterRuns                   int    // PipelineRuns and TaskRuns in the cluster while idle was measured (Chains caches them all)
}

// tektonRun is one PipelineRun (times in ms, CPU in s, memory in bytes).
type tektonRun struct {
	VerifiableMs float64 // last pipeline task done → attestation verifiable
	WallMs       float64 // PipelineRun created → seen done
	AfterDoneMs  float64 // PipelineRun seen done → attestation verifiable (negative: before)
	CosignMs     float64 // the confirming cosign verify-attestation
	PodsCPU      float64 // every container of the run (pods' cgroups)
	NodeCPU      float64 // kubelet + containerd
	ChainsCPU    float64 // the Chains controller (Chains side)
	PodPeak      int64   // the chainseal pod's cgroup memory peak, page cache included (chainseal side)
	PodAnon      int64   // the chainseal pod's anonymous memory, largest of 100 ms samples (chainseal side)
	// chainseal side: its finally task's parts (BenchmarkFinallyLatency).
	ScheduleMs, PodMs, SealMs, RecordMs float64
}

func (r tektonRun) String() string {
	s := fmt.Sprintf("verifiable %.0f ms, wall %.0f ms, after done %.0f ms, pods CPU %.2f s, kubelet+containerd %.2f s",
		r.VerifiableMs, r.WallMs, r.AfterDoneMs, r.PodsCPU, r.NodeCPU)
	if r.ChainsCPU > 0 {
		s += fmt.Sprintf(", Chains CPU %.2f s", r.ChainsCPU)
	}
	if r.PodPeak > 0 {
		s += fmt.Sprintf(", pod peak %.1f MiB (anon %.1f MiB), schedule %.0f pod %.0f seal %.0f record %.0f ms",
			float64(r.PodPeak)/(1<<20), float64(r.PodAnon)/(1<<20), r.ScheduleMs, r.PodMs, r.SealMs, r.RecordMs)
	}
	return s
}

func errorsAs(err error, target **lostLogError) bool {
	for err != nil {
		if e, ok := err.(*lostLogError); ok {
			*target = e
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// runTektonSide runs one PipelineRun of c (with chainseal as its finally
// task when ctrl is nil, else without, for the Chains controller ctrl) and
// measures it (see BenchmarkTektonVsChains).
func runTektonSide(b *testing.B, tk tektonclient.Interface, c *failureCase, ctrl *chainsController, name string) (tektonRun, error) {
	pr := c.pipelineRun(b, name, nil)
	if ctrl != nil {
		withoutChainseal(pr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var logs *stepLogs
	if ctrl == nil {
		logs = followStepLogs(b, c.env, c.ns, "tekton.dev/pipelineRun="+pr.Name+",tekton.dev/pipelineTask=chainseal", "step-sign")
		defer logs.stop()
	}
	trw, err := tk.TektonV1().TaskRuns(c.ns).Watch(ctx, metav1.ListOptions{LabelSelector: "tekton.dev/pipelineRun=" + pr.Name})
	if err != nil {
		return tektonRun{}, err
	}
	defer trw.Stop()
	prw, err := tk.TektonV1().PipelineRuns(c.ns).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + pr.Name})
	if err != nil {
		return tektonRun{}, err
	}
	defer prw.Stop()

	netns := c.env.Netns()
	pods0, err := podsCPU(netns)
	if err != nil {
		return tektonRun{}, err
	}
	node0, err := nodeDaemonsCPU()
	if err != nil {
		return tektonRun{}, err
	}
	var chains0 float64
	if ctrl != nil {
		if chains0, _, _, err = ctrl.stat(); err != nil {
			return tektonRun{}, err
		}
	}
	created := time.Now()
	if _, err := tk.TektonV1().PipelineRuns(c.ns).Create(ctx, pr, metav1.CreateOptions{}); err != nil {
		return tektonRun{}, err
	}

	var (
		lastDone, sealCreated, sealDone, prDone, signed time.Time
		tasksDone                                       = map[string]bool{}
		sealTR                                          *pipelinev1.TaskRun
		verified                                        = make(chan verifiable, 1)
		startedPoll                                     bool
		sealPodUID                                      string
		podPeak, podAnon                                int64
	)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var v *verifiable
	for {
		if !prDone.IsZero() && v != nil && (ctrl == nil && sealTR != nil || ctrl != nil && !signed.IsZero()) {
			break
		}
		select {
		case <-ctx.Done():
			return tektonRun{}, fmt.Errorf("PipelineRun %s: not done, verifiable and signed in 5m (done %v, verifiable %v, signed %v)", pr.Name, !prDone.IsZero(), v != nil, !signed.IsZero())
		case got := <-verified:
			if got.err != nil {
				return tektonRun{}, got.err
			}
			v = &got
		case <-tick.C:
			if sealPodUID != "" {
				p, a := podMemory(netns, sealPodUID)
				podPeak, podAnon = max(podPeak, p), max(podAnon, a)
			}
		case ev, ok := <-prw.ResultChan():
			if !ok {
				return tektonRun{}, fmt.Errorf("the watch of PipelineRun %s ended", pr.Name)
			}
			now := time.Now()
			p, isPR := ev.Object.(*pipelinev1.PipelineRun)
			if !isPR || ev.Type == watch.Deleted {
				continue
			}
			if cond := p.Status.GetCondition(apis.ConditionSucceeded); cond != nil && cond.Status != corev1.ConditionUnknown && prDone.IsZero() {
				if cond.Status != corev1.ConditionTrue {
					return tektonRun{}, fmt.Errorf("PipelineRun %s failed: %s", pr.Name, cond.Message)
				}
				prDone = now
			}
			if p.Annotations["chains.tekton.dev/signed"] == "true" && signed.IsZero() {
				signed = now
			}
			if p.Annotations["chains.tekton.dev/signed"] == "failed" {
				return tektonRun{}, fmt.Errorf("Chains failed to sign PipelineRun %s; its errors:\n%s", pr.Name, lastLines(strings.Join(ctrl.errors(), "\n"), 5))
			}
		case ev, ok := <-trw.ResultChan():
			if !ok {
				return tektonRun{}, fmt.Errorf("the watch of %s's TaskRuns ended", pr.Name)
			}
			now := time.Now()
			tr, isTR := ev.Object.(*pipelinev1.TaskRun)
			if !isTR || ev.Type == watch.Deleted {
				continue
			}
			task := tr.Labels["tekton.dev/pipelineTask"]
			cond := tr.Status.GetCondition(apis.ConditionSucceeded)
			if task == "chainseal" {
				if sealCreated.IsZero() {
					sealCreated = now
				}
				if sealPodUID == "" && tr.Status.PodName != "" {
					if pod, err := kubetest.Admin(b, c.env).CoreV1().Pods(c.ns).Get(ctx, tr.Status.PodName, metav1.GetOptions{}); err == nil {
						sealPodUID = string(pod.UID)
					}
				}
			}
			if cond != nil && cond.Status == corev1.ConditionFalse {
				return tektonRun{}, fmt.Errorf("TaskRun %s failed: %s", tr.Name, cond.Message)
			}
			if cond == nil || cond.Status != corev1.ConditionTrue {
				continue
			}
			if task == "chainseal" {
				if sealDone.IsZero() {
					sealDone, sealTR = now, tr
					if sealPodUID != "" {
						p, a := podMemory(netns, sealPodUID)
						podPeak, podAnon = max(podPeak, p), max(podAnon, a)
					}
				}
				continue
			}
			if tasksDone[task] {
				continue
			}
			tasksDone[task] = true
			lastDone = now
			if task == "build" && !startedPoll {
				digest := ""
				for _, r := range tr.Status.Results {
					if r.Name == "IMAGE_DIGEST" {
						digest = r.Value.StringVal
					}
				}
				if digest == "" {
					return tektonRun{}, fmt.Errorf("TaskRun %s has no IMAGE_DIGEST", tr.Name)
				}
				startedPoll = true
				go pollVerifiable(ctx, c, digest, verified)
			}
		}
	}
	pods1, err := podsCPU(netns)
	if err != nil {
		return tektonRun{}, err
	}
	node1, err := nodeDaemonsCPU()
	if err != nil {
		return tektonRun{}, err
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	r := tektonRun{
		VerifiableMs: ms(v.at.Sub(lastDone)),
		WallMs:       ms(prDone.Sub(created)),
		AfterDoneMs:  ms(v.at.Sub(prDone)),
		CosignMs:     ms(v.cosign),
		PodsCPU:      pods1 - pods0,
		NodeCPU:      node1 - node0,
	}
	if ctrl != nil {
		chains1, _, _, err := ctrl.stat()
		if err != nil {
			return tektonRun{}, err
		}
		r.ChainsCPU = chains1 - chains0
		return r, nil
	}
	if sealTR == nil || sealCreated.Before(lastDone) {
		return tektonRun{}, fmt.Errorf("PipelineRun %s: pipeline tasks done at %v, chainseal created at %v", pr.Name, lastDone, sealCreated)
	}
	r.PodPeak, r.PodAnon = podPeak, podAnon
	start, last, err := logSpan(logs.get(sealTR.Status.PodName))
	if err != nil {
		return tektonRun{}, err
	}
	r.ScheduleMs, r.PodMs, r.SealMs, r.RecordMs = ms(sealCreated.Sub(lastDone)), ms(start.Sub(sealCreated)), ms(last.Sub(start)), ms(sealDone.Sub(last))
	return r, nil
}

// withoutChainseal removes the finally task (and the pipeline results
// that name it) for the Chains side.
func withoutChainseal(pr *pipelinev1.PipelineRun) {
	pr.Spec.PipelineSpec.Finally = nil
	pr.Spec.TaskRunSpecs = nil
	var results []pipelinev1.PipelineResult
	for _, r := range pr.Spec.PipelineSpec.Results {
		if !strings.Contains(r.Value.StringVal, "finally.") {
			results = append(results, r)
		}
	}
	pr.Spec.PipelineSpec.Results = results
}

// compressedSize is what pulling ref moves: its manifest, config and
// (compressed) layers, for linux/amd64 when ref is an index.
func compressedSize(c *failureCase, ref string) (int64, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return 0, err
	}
	img, err := remote.Image(r, remote.WithAuthFromKeychain(c.env.Keychain()),
		remote.WithPlatform(v1.Platform{OS: "linux", Architecture: "amd64"}))
	if err != nil {
		return 0, fmt.Errorf("reading the chainseal image %s: %w", ref, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return 0, err
	}
	raw, err := img.RawManifest()
	if err != nil {
		return 0, err
	}
	n := int64(len(raw)) + m.Config.Size
	for _, l := range m.Layers {
		n += l.Size
	}
	return n, nil
}

type verifiable struct {
	at     time.Time
	cosign time.Duration
	err    error
}

// pollVerifiable polls the registry every 50 ms for the image's .att tag;
// once it answers, cosign verify-attestation is run; the first poll after
// which cosign passes is the time sent.
func pollVerifiable(ctx context.Context, c *failureCase, digest string, out chan<- verifiable) {
	repo, err := name.NewRepository(c.rel.Repository)
	if err != nil {
		out <- verifiable{err: err}
		return
	}
	tag := repo.Tag(strings.Replace(digest, ":", "-", 1) + ".att")
	opts := []remote.Option{remote.WithAuthFromKeychain(c.env.Keychain()), remote.WithContext(ctx)}
	var lastErr string
	for ctx.Err() == nil {
		at := time.Now()
		if _, err := remote.Head(tag, opts...); err == nil {
			s := time.Now()
			cmd := exec.CommandContext(ctx, c.env.Cosign(), "verify-attestation", "--key", c.pub, "--type", "slsaprovenance1",
				"--rekor-url", c.env.RekorURL(), c.rel.Repository+"@"+digest)
			cmd.Env = c.user
			o, err := cmd.CombinedOutput()
			if err == nil {
				out <- verifiable{at: at, cosign: time.Since(s)}
				return
			}
			lastErr = lastLines(string(o), 3)
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
	out <- verifiable{err: fmt.Errorf("%s@%s not verifiable by cosign (last: %s): %w", c.rel.Repository, digest, lastErr, ctx.Err())}
}
