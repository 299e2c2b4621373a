package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times (100 on Linux).
const clockTicks = 100

// ProcStat is one look at a live process.
type ProcStat struct {
	CPU  float64 // user+system seconds so far
	RSS  int64   // resident bytes now
	HWM  int64   // peak resident bytes so far
	Anon int64   // of RSS, anonymous (heap, stacks): each process's own
	File int64   // of RSS, file pages (the binary): shared by every process running it
}

// readProc reads /proc/<pid>/stat and /proc/<pid>/status.
func readProc(pid int) (ProcStat, error) {
	var s ProcStat
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	rest := string(stat)
	if i := strings.LastIndexByte(rest, ')'); i >= 0 {
		rest = rest[i+1:]
	}
	f := strings.Fields(rest)
	// f[0] is field 3 (state); utime is field 14, stime 15.
	if len(f) < 13 {
		return s, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	s.CPU = float64(ut+st) / clockTicks
	m, err := readMem(pid)
	s.RSS, s.HWM = m.RSS, m.HWM
	return s, err
}

// readMem reads VmRSS and VmHWM from /proc/<pid>/status.
func readMem(pid int) (ProcStat, error) {
	var s ProcStat
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch k {
		case "VmRSS":
			s.RSS = kB(v)
		case "VmHWM":
			s.HWM = kB(v)
		case "RssAnon":
			s.Anon = kB(v)
		case "RssFile":
			s.File = kB(v)
		}
	}
	return s, nil
}

func kB(v string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
	return n * 1024
}
