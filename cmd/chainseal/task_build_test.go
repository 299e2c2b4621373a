//go:build chainseal_task

package main

import (
	"strings"
	"testing"
)

// The Task image's build answers verify and migrate with where to find them.
func TestTaskBuildLeavesOutVerifyAndMigrate(t *testing.T) {
	for _, cmd := range []string{"verify", "migrate"} {
		root := newRootCommand()
		root.SetArgs([]string{cmd, "--key", "k.pub", "img"})
		err := root.Execute()
		if err == nil || !strings.Contains(err.Error(), "chainseal CLI") || !strings.Contains(err.Error(), cmd) {
			t.Errorf("chainseal %s in the Task build: error %v, want one naming the chainseal CLI", cmd, err)
		}
	}
}
