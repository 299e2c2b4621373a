// Package migrate is `chainseal migrate` as a library: it reads a Tekton
// Chains installation (the chains-config ConfigMap and the signing-secrets
// Secret, from a cluster or from files) and works out, for each tenant
// namespace, what chainseal needs there: the chainseal-config ConfigMap
// (Chains' keys translated, chainseal.compat: chains so verifiers see no
// change), the chainseal-signing Secret (the key files the configured
// signers use), the RBAC of tasks/rbac.yaml, and which Pipelines lack the
// chainseal finally task.
//
// Nothing is dropped silently: every key of the Chains config, and every
// file of its signing Secret, gets a Note saying whether it was carried
// over, translated, or left out and why, and what must be done before the
// first run. Translate is pure; Run reads, plans every namespace, and only
// then writes (unless Options.DryRun).
package migrate
