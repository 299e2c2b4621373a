package main

// exitNoArtifacts is the exit code when the run named nothing to sign: not
// a failure of chainseal, but distinct from success so a pipeline can tell.
const exitNoArtifacts = 3

type noArtifactsError struct{ error }

func (noArtifactsError) ExitCode() int   { return exitNoArtifacts }
func (e noArtifactsError) Unwrap() error { return e.error }
