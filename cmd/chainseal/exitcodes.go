package main

// exitNoArtifacts is the exit code when the run named nothing to sign and
// chainseal.no-artifacts is fail: not a failure of chainseal, but distinct
// from one. (By default such a run succeeds: exit 0.)
const exitNoArtifacts = 3

type noArtifactsError struct{ error }

func (noArtifactsError) ExitCode() int   { return exitNoArtifacts }
func (e noArtifactsError) Unwrap() error { return e.error }
