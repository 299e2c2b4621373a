//go:build stack

package e2e

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// What the stack's node spends, read from /proc and from the node's
// cgroups (cgroupfs driver, under /<netns name> in each hierarchy; see
// test/stack/lib.sh), for the benchmarks.

const clockTicks = 100 // USER_HZ

// procCPU is a process's CPU seconds (user + system), with the CPU of the
// children it has waited for when children is set.
func procCPU(pid int, children bool) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command (which may contain spaces) in parentheses.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	n := 2 // utime, stime: fields 14, 15 (11, 12 here, 0-based after ")")
	if children {
		n = 4 // cutime, cstime
	}
	var ticks float64
	for i := 11; i < 11+n; i++ {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += v
	}
	return ticks / clockTicks, nil
}

// procMem is a process's resident memory and its peak (VmRSS, VmHWM).
func procMem(pid int) (rss, peak int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = kb << 10
		case "VmHWM":
			peak = kb << 10
		}
	}
	return rss, peak, nil
}

// nodeDaemonsCPU is the CPU seconds of the stack's kubelet and containerd
// so far, with the children they waited for. They are found by name among
// the processes in this process's network namespace (the stack's).
// containerd's shims (one per pod, running runc) are not counted: they
// outlive the window, and what they reap is also the pods'.
func nodeDaemonsCPU() (float64, error) {
	self, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		return 0, err
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	var total float64
	found := map[string]bool{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil {
			continue
		}
		name := strings.TrimSpace(string(comm))
		if name != "kubelet" && name != "containerd" {
			continue
		}
		if ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid)); err != nil || ns != self {
			continue
		}
		cpu, err := procCPU(pid, true)
		if err != nil {
			continue
		}
		total += cpu
		found[name] = true
	}
	if !found["kubelet"] || !found["containerd"] {
		return 0, fmt.Errorf("the stack's kubelet and containerd are not in this network namespace (found %v): run through test/stack/exec", found)
	}
	return total, nil
}

// nodeCgroup is the node's cgroup directory of hierarchy (cpuacct, memory).
func nodeCgroup(netns, hierarchy string) string {
	return filepath.Join("/sys/fs/cgroup", hierarchy, filepath.Base(netns), "kubepods")
}

// podsCPU is the CPU seconds of every container the node has run so far
// (the kubepods cgroup counts those of pods already removed).
func podsCPU(netns string) (float64, error) {
	p := filepath.Join(nodeCgroup(netns, "cpuacct"), "cpuacct.usage")
	b, err := os.ReadFile(p)
	if err != nil {
		// cgroup v2: usage_usec in cpu.stat.
		b2, err2 := os.ReadFile(filepath.Join("/sys/fs/cgroup", filepath.Base(netns), "kubepods", "cpu.stat"))
		if err2 != nil {
			return 0, fmt.Errorf("the node's pod CPU: %w", err)
		}
		for _, line := range strings.Split(string(b2), "\n") {
			if v, ok := strings.CutPrefix(line, "usage_usec "); ok {
				us, err := strconv.ParseFloat(v, 64)
				return us / 1e6, err
			}
		}
		return 0, fmt.Errorf("no usage_usec in the node's cpu.stat")
	}
	ns, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
	return ns / 1e9, err
}

// podMemory is the memory of the pod with this UID, from its cgroup: the
// peak the kernel charged so far (anonymous memory and page cache: the
// image's files it read), and the anonymous memory now (total_rss, or anon
// on cgroup v2). Zeros when its cgroup is not (or no longer) there.
func podMemory(netns, uid string) (peak, anon int64) {
	root := nodeCgroup(netns, "memory")
	dir := ""
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		base := filepath.Base(p)
		switch {
		case base == "pod"+uid || base == "pod"+strings.ReplaceAll(uid, "-", "_"):
			dir = p
			return fs.SkipAll
		case p == root || base == "besteffort" || base == "burstable":
			return nil
		default:
			return fs.SkipDir
		}
	})
	if dir == "" {
		return 0, 0
	}
	for _, f := range []string{"memory.max_usage_in_bytes", "memory.peak"} {
		if b, err := os.ReadFile(filepath.Join(dir, f)); err == nil {
			peak, _ = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
			break
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "memory.stat")); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			k, v, _ := strings.Cut(line, " ")
			if k == "total_rss" || k == "anon" {
				anon, _ = strconv.ParseInt(v, 10, 64)
				break
			}
		}
	}
	return peak, anon
}
