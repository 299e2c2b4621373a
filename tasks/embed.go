// Package tasks holds the chainseal Task and its RBAC as YAML (applied with
// kubectl, copied to the catalog), and embeds the RBAC for programs that
// write it into a namespace (chainseal migrate).
package tasks

import _ "embed"

// RBAC is rbac.yaml: the chainseal ServiceAccount, its Role and RoleBinding
// (read the run, the config and the signing Secret by name), and the
// chainseal-annotate Role and RoleBinding (PipelineRun annotations:
// chains.tekton.dev/signed, and the attestations with tekton storage).
//
//go:embed rbac.yaml
var RBAC []byte

// RBACTaskRuns is rbac-taskruns.yaml: the chainseal-annotate-taskruns Role
// and RoleBinding, for signed TaskRuns (marked signed; their attestations
// with tekton storage).
//
//go:embed rbac-taskruns.yaml
var RBACTaskRuns []byte
