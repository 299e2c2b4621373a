package main

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
)

// Startup is what a process costs before it does any work: `chainseal
// version` (the Go runtime, package initialisation, flag parsing) against
// the floor's -h.
type Startup struct {
	Wall []float64 // ms
	CPU  []float64 // s
	RSS  []int64   // peak bytes
}

func (b *Bench) startup(ctx context.Context, n int) (map[string]*Startup, error) {
	out := map[string]*Startup{}
	progs := map[string][]string{SideChainseal: {b.O.Chainseal, "version"}, SideFloor: {b.O.Floor, "-h"}}
	if b.O.TypesFloor != "" {
		progs[SideTypes] = []string{b.O.TypesFloor}
	}
	for side, args := range progs {
		s := &Startup{}
		for range n {
			procs, _ := runProcs(ctx, []*exec.Cmd{exec.CommandContext(ctx, args[0], args[1:]...)})
			p := procs[0]
			if p.Err != nil && side != SideFloor { // flag's -h exits 0 or 2, either is fine
				return nil, fmt.Errorf("start-up of %s: %w", side, p.Err)
			}
			s.Wall = append(s.Wall, ms(p.End.Sub(p.Start)))
			s.CPU = append(s.CPU, p.CPU)
			s.RSS = append(s.RSS, p.RSS)
		}
		out[side] = s
	}
	return out, nil
}

// gzipSize is the size of the file at path gzipped (default level), as a
// layer holding it would be.
func gzipSize(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var n countingWriter
	zw := gzip.NewWriter(&n)
	if _, err := io.Copy(zw, f); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return int64(n), nil
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}
