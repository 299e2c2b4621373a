package seal

import (
	"github.com/chainseal/chainseal/pkg/artifacts"
	"github.com/chainseal/chainseal/pkg/config"
	"github.com/chainseal/chainseal/pkg/provenance"
	"github.com/chainseal/chainseal/pkg/storage"
)

// Plan decides which signer and which backends each payload that
// provenance.Build made goes to, from the artifacts.* keys of the config.
// pr is the PipelineRun the statements are about. Plan is pure; an empty
// Input means there is nothing to sign.
func Plan(res *provenance.Result, pr storage.Object, cfg config.Config) Input {
	in := Input{Run: pr}
	if res == nil {
		return in
	}
	if cfg.PipelineRun.Enabled() {
		for _, st := range res.Statements {
			in.Statements = append(in.Statements, Unsigned{
				Object: pr, Format: st.Format, PayloadType: st.PayloadType, Payload: st.Body,
				Subjects: subjects(st.Subjects), Signer: cfg.PipelineRun.Signer, Storage: cfg.PipelineRun.Storage,
			})
		}
	}
	for _, st := range res.TaskRunStatements {
		in.Statements = append(in.Statements, Unsigned{
			Object: storage.Object{Kind: "TaskRun", Namespace: st.Namespace, Name: st.Name, UID: st.UID},
			Format: st.Format, PayloadType: st.PayloadType, Payload: st.Body,
			Subjects: subjects(st.Subjects), Signer: cfg.TaskRun.Signer, Storage: cfg.TaskRun.Storage,
		})
	}
	if cfg.OCI.Enabled() {
		for _, sig := range res.Signatures {
			for _, s := range sig.Subjects {
				in.Images = append(in.Images, UnsignedImage{
					Image: s.Name + "@" + s.DigestString(), Payload: sig.Body, Signer: cfg.OCI.Signer, Storage: cfg.OCI.Storage,
				})
			}
		}
	}
	return in
}

// Empty reports whether the input has nothing to sign.
func (in Input) Empty() bool { return len(in.Statements) == 0 && len(in.Images) == 0 }

func subjects(in []artifacts.Subject) []storage.Subject {
	out := make([]storage.Subject, 0, len(in))
	for _, s := range in {
		out = append(out, storage.Subject{Name: s.Name, Digest: s.Digest})
	}
	return out
}
