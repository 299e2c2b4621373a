package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// A --policy file is Rego (Open Policy Agent). Why Rego: OPA is a CNCF
// graduated project and the policy language of Gatekeeper, Conftest and
// Enterprise Contract (which already checks Tekton provenance in Rego);
// cosign v2 links the same OPA version, so it adds no new module to the
// build graph; and with cosign's convention (package signature, rule allow,
// input = the in-toto statement) one policy file serves both
// `chainseal verify --policy` and `cosign verify-attestation --policy`.

const (
	regoPackage = "data.signature"
	regoAllow   = regoPackage + ".allow"
	regoDeny    = regoPackage + ".deny"
)

// RegoPolicy is a compiled policy over the statement.
type RegoPolicy struct {
	path  string
	allow rego.PreparedEvalQuery
	deny  rego.PreparedEvalQuery
}

// LoadRegoPolicy reads and compiles a Rego module in package signature: the
// statement passes when `allow` is true; an optional `deny` set of strings
// says why not. Rego v1 syntax and, as cosign reads them, v0 modules are
// accepted. Errors wrap ErrInconclusive.
func LoadRegoPolicy(ctx context.Context, path string) (*RegoPolicy, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, inconclusive("reading the policy (--policy)", err)
	}
	mod, err := ast.ParseModuleWithOpts(path, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		var v0err error
		if mod, v0err = ast.ParseModuleWithOpts(path, string(src), ast.ParserOptions{RegoVersion: ast.RegoV0}); v0err != nil {
			return nil, inconclusive("the policy "+path+" does not parse as Rego", err)
		}
	}
	if got := mod.Package.Path.String(); got != regoPackage {
		return nil, inconclusive(fmt.Sprintf("the policy %s is in package %s: write it in package signature (rule allow), as cosign reads policies", path, strings.TrimPrefix(got, "data.")), nil)
	}
	p := &RegoPolicy{path: path}
	for q, dst := range map[string]*rego.PreparedEvalQuery{regoAllow: &p.allow, regoDeny: &p.deny} {
		pq, err := rego.New(rego.Query(q), rego.ParsedModule(mod)).PrepareForEval(ctx)
		if err != nil {
			return nil, inconclusive("compiling the policy "+path, err)
		}
		*dst = pq
	}
	return p, nil
}

// check evaluates the policy with the statement as input.
func (p *RegoPolicy) check(ctx context.Context, st *statement) Check {
	var input any
	dec := json.NewDecoder(bytes.NewReader(st.raw))
	dec.UseNumber()
	if err := dec.Decode(&input); err != nil {
		return errored(CheckPolicy, fmt.Sprintf("decoding the statement for %s: %v", p.path, err))
	}
	rs, err := p.allow.Eval(ctx, rego.EvalInput(input))
	if err != nil {
		return errored(CheckPolicy, fmt.Sprintf("evaluating %s: %v", p.path, err))
	}
	if rs.Allowed() {
		return pass(CheckPolicy, fmt.Sprintf("%s allows the statement", p.path))
	}
	reasons := p.reasons(ctx, input)
	if len(reasons) == 0 {
		return fail(CheckPolicy, fmt.Sprintf("%s does not allow the statement (%s is not true)", p.path, regoAllow))
	}
	return fail(CheckPolicy, fmt.Sprintf("%s does not allow the statement: %s", p.path, strings.Join(reasons, "; ")))
}

// reasons collects the strings of the policy's deny rule, when it has one.
func (p *RegoPolicy) reasons(ctx context.Context, input any) []string {
	rs, err := p.deny.Eval(ctx, rego.EvalInput(input))
	if err != nil {
		return nil
	}
	var out []string
	for _, r := range rs {
		for _, e := range r.Expressions {
			switch v := e.Value.(type) {
			case []any:
				for _, x := range v {
					out = append(out, fmt.Sprint(x))
				}
			case map[string]any:
				for k := range v {
					out = append(out, k)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}
