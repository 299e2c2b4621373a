package provenance_test

import (
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

func result(name, value string) v1.TaskRunResult {
	return v1.TaskRunResult{Name: name, Type: v1.ResultsTypeString, Value: *v1.NewStructuredValues(value)}
}

func tep0147() *v1.Artifacts {
	return &v1.Artifacts{
		Inputs: []v1.Artifact{{Name: "source", Values: []v1.ArtifactValue{{
			Uri: "git+https://git.example/app.git", Digest: map[v1.Algorithm]string{"sha1": d("src")[:40]},
		}}}},
		Outputs: []v1.Artifact{
			{Name: "image", BuildOutput: true, Values: []v1.ArtifactValue{{
				Uri: "pkg:oci/app?repository_url=registry.example/app", Digest: map[v1.Algorithm]string{"sha256": d("app")},
			}}},
			{Name: "sbom", Values: []v1.ArtifactValue{{
				Uri: "pkg:generic/sbom.spdx.json", Digest: map[v1.Algorithm]string{"sha256": d("sbom")},
			}}},
		},
	}
}
