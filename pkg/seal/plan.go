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

// TransparencyUploadAnnotation is Tekton Chains' per-run opt-in to the
// transparency log under transparency.enabled: manual.
const TransparencyUploadAnnotation = "chains.tekton.dev/transparency-upload"

// transparencyAnnotation is set on a run whose signatures were logged.
const transparencyAnnotation = "chains.tekton.dev/transparency"

// ManualTransparency applies transparency.enabled: manual as Tekton Chains
// does: the signatures about an object are logged only when the object is
// annotated chains.tekton.dev/transparency-upload: "true" and not already
// annotated chains.tekton.dev/transparency (logged before). Image
// signatures follow the sealed run (in.Run); Tekton copies a PipelineRun's
// annotations to its TaskRuns, so annotating the PipelineRun logs all.
// annotations gives an object's annotations.
func (in *Input) ManualTransparency(annotations func(storage.Object) map[string]string) {
	wants := func(o storage.Object) bool {
		a := annotations(o)
		if _, done := a[transparencyAnnotation]; done {
			return false
		}
		return a[TransparencyUploadAnnotation] == "true"
	}
	for i := range in.Statements {
		in.Statements[i].NotLogged = !wants(in.Statements[i].Object)
	}
	run := wants(in.Run)
	for i := range in.Images {
		in.Images[i].NotLogged = !run
	}
}

// Logs reports whether a signature of in goes to the transparency log
// (when it is on).
func (in Input) Logs() bool {
	for _, u := range in.Statements {
		if !u.NotLogged {
			return true
		}
	}
	for _, u := range in.Images {
		if !u.NotLogged {
			return true
		}
	}
	return false
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
