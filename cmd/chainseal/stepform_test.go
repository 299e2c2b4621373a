package main

import (
	"strings"
	"testing"
)

func TestSignStepFormUsageExits2(t *testing.T) {
	for name, args := range map[string][]string{
		"no taskrun":     {"sign", "--step-form", "-n", "ns"},
		"no namespace":   {"sign", "--step-form", "--taskrun", "tr"},
		"a pipelinerun":  {"sign", "--step-form", "-n", "ns", "--taskrun", "tr", "--pipelinerun", "pr"},
		"from files too": {"sign", "--step-form", "-n", "ns", "--taskrun", "tr", "--from-file", "x.yaml"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := execute(t, args...)
			if exitCode(err) != 2 || !strings.Contains(err.Error(), "--step-form") {
				t.Fatalf("exit %d, want 2 naming --step-form: %v", exitCode(err), err)
			}
		})
	}
}
