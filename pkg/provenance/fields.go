package provenance

import "github.com/chainseal/chainseal/pkg/config"

// Who wrote a field of a statement: the trust label a policy reads from
// chainseal's record (internalParameters.chainseal.fields, or
// invocation.environment.chainseal.fields for SLSA v0.2), keyed by the
// field's path in the statement.
const (
	// WriterTekton: Tekton's controller and the kubelet, in the runs'
	// status (tenants have no write access to status): refSource, step
	// image digests, times, the UID, task outcomes.
	WriterTekton = "tekton"
	// WriterTenant: the namespace's code and specs: task results (which
	// name subjects, materials and byproducts), params, labels,
	// annotations, the tenant's own config keys.
	WriterTenant = "tenant"
	// WriterPlatform: the platform team's settings (config.PlatformKeys),
	// which tenants may only narrow.
	WriterPlatform = "platform"
	// WriterChainseal: the chainseal step itself, from Tekton's record.
	WriterChainseal = "chainseal"
)

// fieldsSLSA1 labels the fields of an SLSA v1.0 PipelineRun statement.
func fieldsSLSA1(cfg config.Config) map[string]string {
	return map[string]string{
		"subject":                            WriterTenant,
		"buildDefinition.buildType":          WriterTenant,
		"buildDefinition.externalParameters": WriterTenant,
		"buildDefinition.internalParameters.tekton-pipelines-feature-flags": WriterTekton,
		"buildDefinition.internalParameters.labels":                         WriterTenant,
		"buildDefinition.internalParameters.annotations":                    WriterTenant,
		"buildDefinition.internalParameters.chainseal":                      WriterChainseal,
		"buildDefinition.internalParameters.chainseal.taskRuns":             WriterTekton,
		"buildDefinition.internalParameters.chainseal.subjects[].producers": WriterTekton,
		"buildDefinition.resolvedDependencies[name=pipeline]":               WriterTekton,
		"buildDefinition.resolvedDependencies[name=pipelineTask]":           WriterTekton,
		"buildDefinition.resolvedDependencies[uri=oci://*]":                 WriterTekton,
		"buildDefinition.resolvedDependencies[name=inputs/result]":          WriterTenant,
		"runDetails.builder.id":                                             builderWriter(cfg),
		"runDetails.builder.version":                                        WriterChainseal,
		"runDetails.metadata.invocationId":                                  WriterTekton,
		"runDetails.metadata.startedOn":                                     WriterTekton,
		"runDetails.metadata.finishedOn":                                    WriterTekton,
		"runDetails.byproducts":                                             WriterTenant,
	}
}

// fieldsSLSA02 labels the fields of an SLSA v0.2 PipelineRun statement.
func fieldsSLSA02(cfg config.Config) map[string]string {
	return map[string]string{
		"subject":                                                         WriterTenant,
		"predicate.builder.id":                                            builderWriter(cfg),
		"predicate.invocation.configSource":                               WriterTekton,
		"predicate.invocation.parameters":                                 WriterTenant,
		"predicate.invocation.environment.labels":                         WriterTenant,
		"predicate.invocation.environment.annotations":                    WriterTenant,
		"predicate.invocation.environment.chainseal":                      WriterChainseal,
		"predicate.invocation.environment.chainseal.taskRuns":             WriterTekton,
		"predicate.invocation.environment.chainseal.subjects[].producers": WriterTekton,
		"predicate.buildConfig.tasks[].ref":                               WriterTenant,
		"predicate.buildConfig.tasks[].startedOn":                         WriterTekton,
		"predicate.buildConfig.tasks[].finishedOn":                        WriterTekton,
		"predicate.buildConfig.tasks[].status":                            WriterTekton,
		"predicate.buildConfig.tasks[].steps[].entryPoint":                WriterTenant,
		"predicate.buildConfig.tasks[].steps[].arguments":                 WriterTenant,
		"predicate.buildConfig.tasks[].steps[].environment.image":         WriterTekton,
		"predicate.buildConfig.tasks[].steps[].environment.container":     WriterTenant,
		"predicate.buildConfig.tasks[].invocation.configSource":           WriterTekton,
		"predicate.buildConfig.tasks[].invocation.parameters":             WriterTenant,
		"predicate.buildConfig.tasks[].results":                           WriterTenant,
		"predicate.metadata.buildStartedOn":                               WriterTekton,
		"predicate.metadata.buildFinishedOn":                              WriterTekton,
		"predicate.materials[uri=oci://*]":                                WriterTekton,
		"predicate.materials[refSource]":                                  WriterTekton,
		"predicate.materials[inputs]":                                     WriterTenant,
	}
}

// builderWriter: builder.id is the platform's where its settings govern
// the namespace, else the tenant's (its ConfigMap may set it).
func builderWriter(cfg config.Config) string {
	if cfg.Platform != "" {
		return WriterPlatform
	}
	return WriterTenant
}
