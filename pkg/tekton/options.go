package tekton

import "k8s.io/apimachinery/pkg/types"

// Option changes how a snapshot is taken.
type Option func(*options)

type options struct {
	uid        types.UID
	ownTaskRun string
}

// WithUID makes the snapshot fail unless the PipelineRun has this UID, so a
// deleted and recreated run of the same name is never signed by mistake.
func WithUID(uid string) Option {
	return func(o *options) { o.uid = types.UID(uid) }
}

// WithOwnTaskRun names the chainseal TaskRun itself ($(context.taskRun.name)),
// which is left out of the provenance.
func WithOwnTaskRun(name string) Option {
	return func(o *options) { o.ownTaskRun = name }
}

func collect(opts []Option) options {
	var o options
	for _, f := range opts {
		f(&o)
	}
	return o
}
