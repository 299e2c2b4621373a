package verify

// Status is the result of one check.
type Status string

const (
	// Pass: the check was evaluated and holds.
	Pass Status = "pass"
	// Fail: the check was evaluated and does not hold.
	Fail Status = "fail"
	// Error: the check could not be evaluated (a log or KMS unreachable, a
	// policy that errs at evaluation).
	Error Status = "error"
	// Skipped: not evaluated, because an earlier check failed (the payload
	// is not trusted) or the user turned it off. It decides nothing.
	Skipped Status = "skipped"
)

// Check names. Each is one line of the report and one entry of the JSON.
const (
	CheckSignature      = "signature"
	CheckTransparency   = "transparency-log"
	CheckCertificate    = "certificate"
	CheckSubject        = "subject"
	CheckBuilderID      = "builder-id"
	CheckNamespace      = "namespace"
	CheckPipeline       = "pipeline"
	CheckSource         = "source"
	CheckMaxAge         = "max-age"
	CheckTasksSucceeded = "tasks-succeeded"
	CheckHermetic       = "hermetic"
	CheckPolicy         = "policy"
)

// Check is the result of one named check on one attestation.
type Check struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
}

func pass(name, detail string) Check { return Check{Name: name, Status: Pass, Detail: detail} }
func fail(name, detail string) Check { return Check{Name: name, Status: Fail, Detail: detail} }
func errored(name, detail string) Check {
	return Check{Name: name, Status: Error, Detail: detail}
}
