package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Proc is one finished process: a chainseal (or floor) run, as its pod
// would run it.
type Proc struct {
	Start time.Time
	End   time.Time
	CPU   float64 // user+system seconds
	RSS   int64   // peak resident bytes (VmHWM, sampled every 10 ms)
	Out   string  // what it wrote (chainseal logs one line per stage)
	Err   error
}

// runProcs starts every command at once (a finally task in each pipeline
// that completed together) and waits for all of them. peakSum is the
// most memory the processes alive at one time held together: their
// anonymous memory summed, plus the binary's file pages once.
func runProcs(ctx context.Context, cmds []*exec.Cmd) (procs []Proc, peakSum int64) {
	procs = make([]Proc, len(cmds))
	outs := make([]bytes.Buffer, len(cmds))
	var mu sync.Mutex
	live := map[int]int{} // pid → index
	hwm := make([]int64, len(cmds))
	var wg sync.WaitGroup
	for i, cmd := range cmds {
		cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
		procs[i].Start = time.Now()
		if err := cmd.Start(); err != nil {
			procs[i].Err = fmt.Errorf("starting %s: %w", cmd.Path, err)
			continue
		}
		mu.Lock()
		live[cmd.Process.Pid] = i
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := cmd.Wait()
			p := &procs[i]
			p.End = time.Now()
			p.Out = outs[i].String()
			mu.Lock()
			delete(live, cmd.Process.Pid)
			mu.Unlock()
			// getrusage's CPU times are the child's own. Its maxrss is not:
			// Go starts children with vfork, and Linux folds the parent's
			// RSS into the child's maxrss at exec. The peak comes from the
			// sampled VmHWM instead.
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				p.CPU = tv(ru.Utime) + tv(ru.Stime)
			}
			if err != nil {
				p.Err = fmt.Errorf("%s %s: %w\n%s", cmd.Path, strings.Join(cmd.Args[1:], " "), err, tail(outs[i].String(), 3000))
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		mu.Lock()
		// The processes run one binary: its file pages are in memory once.
		var anon, file int64
		for pid, i := range live {
			if st, err := readMem(pid); err == nil {
				anon += st.Anon
				file = max(file, st.File)
				hwm[i] = max(hwm[i], st.HWM)
			}
		}
		mu.Unlock()
		peakSum = max(peakSum, anon+file)
		select {
		case <-done:
			for i := range procs {
				procs[i].RSS = hwm[i]
			}
			return procs, peakSum
		case <-ctx.Done():
			for _, c := range cmds {
				if c.Process != nil {
					_ = c.Process.Kill()
				}
			}
			<-done
			return procs, peakSum
		case <-tick.C:
		}
	}
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
