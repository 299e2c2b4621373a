package bundle

import (
	"io"
	"log"
)

// nilLogger keeps the in-process registry's request log out of test output.
func nilLogger() *log.Logger { return log.New(io.Discard, "", 0) }
