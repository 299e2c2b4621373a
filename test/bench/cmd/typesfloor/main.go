// Command typesfloor is the least a program that reads Tekton runs can be:
// it links Tekton's tekton.dev/v1 API types (the module chainseal must
// use to read a PipelineRun as Tekton wrote it) and nothing else, and
// prints their group and version. Its start-up, memory and size bound
// chainseal's from below: `make bench` reports them beside issue #18's
// targets.
package main

import (
	"fmt"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

func main() { fmt.Println(v1.SchemeGroupVersion) }
