// Package sign is `chainseal sign` as a library: it reads a PipelineRun (from
// the API or files), loads the config of the run's namespace, builds the
// provenance, plans and seals it, and returns what happened. The command in
// cmd/chainseal only parses flags into Options and prints the outcome.
package sign
