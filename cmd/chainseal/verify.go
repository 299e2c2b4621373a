//go:build !chainseal_task

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/chainseal/chainseal/pkg/signing"
	"github.com/chainseal/chainseal/pkg/verify"
)

// Exit codes of verify: 0 only when every requested check passed.
const (
	exitVerifyFailed = 1 // a check failed: the image must not be trusted
	exitInconclusive = 3 // nothing could be verified: no attestation, a registry/KMS/log that refused, a bad key or policy file
)

type verifyFailedError struct{ error }

func (verifyFailedError) ExitCode() int   { return exitVerifyFailed }
func (e verifyFailedError) Unwrap() error { return e.error }

type inconclusiveError struct{ error }

func (inconclusiveError) ExitCode() int   { return exitInconclusive }
func (e inconclusiveError) Unwrap() error { return e.error }

type verifyOptions struct {
	key            string
	rekorURL       string
	rekorPublicKey string
	trustedRoot    string
	ignoreTlog     bool
	offline        bool
	bundles        []string
	saveBundle     string
	noReferrers    bool
	output         string
	req            verify.Requirements
	policy         string
	timeout        time.Duration
	identity       signing.Identity
	ignoreSCT      bool
	src            sourceOptions
}

// defaultVerifyTimeout bounds a whole verification: a deploy gate must
// not hang on a registry, log or KMS that never answers.
const defaultVerifyTimeout = 2 * time.Minute

func newVerifyCommand() *cobra.Command {
	o := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify IMAGE[@DIGEST] | ARTIFACT@ALG:HEX",
		Short: "Verify the provenance chainseal stored for an image",
		Long: `Verify an image's provenance the way a deploy gate would: find the
attestations chainseal stored (the cosign .att tag and Sigstore bundles among
the OCI 1.1 referrers, or --bundle files with --offline), and check for each
the DSSE signature (--key; or keyless, by identity: the certificate stored
with it, which must chain to a Fulcio CA of --trusted-root at the time Rekor
integrated the entry and name --certificate-identity and
--certificate-oidc-issuer), the Rekor entry (inclusion proof, checkpoint and
signed entry timestamp against the log's key), that the image digest is a
subject, and every policy flag given. A tag is resolved to its digest first.

With --from-gcs, --from-docdb, --from-grafeas or --from-archivista the
attestations come from
those storage backends instead of the registry, and the argument is any
artifact by digest, ARTIFACT@ALG:HEX (a file, a package, an image), as it is
a subject of the statement; the same checks are made.

Exit codes: 0 every requested check passed for at least one attestation;
1 verification failed; 2 bad usage; 3 could not verify (no attestation, a
registry, KMS or log that refused, could not be reached or did not answer
in time (--timeout), a key, trusted root, bundle or policy file that does
not parse).`,
		// Bad usage exits 2, never 1: 1 means "verification failed".
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("name one image (IMAGE or IMAGE@DIGEST), got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), cmd.OutOrStdout(), args[0])
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	f := cmd.Flags()
	f.StringVar(&o.key, "key", "", "public key the attestations must be signed with: a PEM file (cosign.pub), a certificate, or a KMS reference (hashivault://KEY, awskms://..., gcpkms://..., azurekms://...)")
	f.StringVar(&o.rekorURL, "rekor-url", "", "Rekor server to fetch inclusion proofs from (default: the log's URL in --trusted-root, else https://rekor.sigstore.dev)")
	f.StringVar(&o.rekorPublicKey, "rekor-public-key", os.Getenv("SIGSTORE_REKOR_PUBLIC_KEY"), "PEM file of the Rekor log's public key (default: $SIGSTORE_REKOR_PUBLIC_KEY)")
	f.StringVar(&o.trustedRoot, "trusted-root", "", "Sigstore trusted_root.json naming the trusted transparency logs, and for --certificate-identity the Fulcio certificate authorities and CT logs (cosign trusted-root create)")
	f.StringVar(&o.identity.SAN, "certificate-identity", "", "verify keyless attestations: the identity (SAN) their certificate must name, e.g. https://kubernetes.io/namespaces/NS/serviceaccounts/chainseal; instead of --key, with --trusted-root")
	f.StringVar(&o.identity.SANRegexp, "certificate-identity-regexp", "", "as --certificate-identity, a regular expression the SAN must match")
	f.StringVar(&o.identity.Issuer, "certificate-oidc-issuer", "", "the OIDC issuer the certificate must name (for a ServiceAccount token: the API server's --service-account-issuer)")
	f.StringVar(&o.identity.IssuerRegexp, "certificate-oidc-issuer-regexp", "", "as --certificate-oidc-issuer, a regular expression")
	f.BoolVar(&o.ignoreSCT, "insecure-ignore-sct", false, "accept a certificate whose SCT cannot be checked because the trusted root names no CT log")
	f.BoolVar(&o.ignoreTlog, "insecure-ignore-tlog", false, "do not check the transparency log entry")
	f.BoolVar(&o.offline, "offline", false, "verify from --bundle files only, without network access (the image must be given by digest)")
	f.StringArrayVar(&o.bundles, "bundle", nil, "a Sigstore bundle file holding an attestation and its Rekor entry with inclusion proof; repeatable")
	f.StringVar(&o.saveBundle, "save-bundle", "", "after a successful online verification, write the verified attestation as a Sigstore bundle to this file, for --offline")
	f.BoolVar(&o.noReferrers, "no-referrers", false, "do not look for Sigstore bundles among the image's OCI 1.1 referrers")
	f.StringVarP(&o.output, "output", "o", "text", "output: text or json")
	f.StringVar(&o.req.BuilderID, "builder-id", "", "require this builder id (runDetails.builder.id)")
	f.StringVar(&o.req.Namespace, "namespace", "", "require the PipelineRun to have run in this namespace")
	f.StringVar(&o.req.Pipeline, "pipeline", "", "require the Pipeline to come from where Tekton resolved it, as URI@ALG:HEX (its bundle or git refSource); a name is not accepted")
	f.StringVar(&o.req.SourceURI, "source-uri", "", "require a resolved dependency Tekton recorded (the Pipeline's or a task's refSource, a step image) with this URI (e.g. git+https://host/org/app.git)")
	f.StringVar(&o.req.SourceDigest, "source-digest", "", "require a resolved dependency Tekton recorded with this digest (ALG:HEX, or HEX); with --source-uri, the same dependency")
	f.StringArrayVar(&o.req.TrustedProducers, "trusted-producer", nil, "require every task that named the image a subject to have been resolved by Tekton from this reference or under it (its refSource URI: a bundle repository such as registry.example/catalog/buildah, or git+https://github.com/org/tasks); repeatable")
	f.BoolVar(&o.req.AllowTenantSources, "allow-tenant-sources", false, "let --source-uri/--source-digest also match sources a task's own code reported (CHAINS-GIT_* and *_ARTIFACT_INPUTS results, SLSA v0.2 materials)")
	f.DurationVar(&o.req.MaxAge, "max-age", 0, "require the build to have finished at most this long ago (e.g. 24h)")
	f.BoolVar(&o.req.AllTasksSucceeded, "require-all-tasks-succeeded", false, "require every TaskRun the provenance covers to have succeeded")
	f.StringArrayVar(&o.req.Hermetic, "require-hermetic", nil, "require a pipeline task (repeatable, or all) to have run in Tekton's hermetic execution mode")
	f.StringVar(&o.policy, "policy", "", "Rego policy file over the in-toto statement (package signature, rule allow; as cosign verify-attestation --policy)")
	o.src.addFlags(f)
	f.DurationVar(&o.timeout, "timeout", defaultVerifyTimeout, "give up after this long, reading the key, the registry and the log included (exit 3); each request to a registry or log is also bounded (30s)")
	return cmd
}

func (o *verifyOptions) run(ctx context.Context, stdout io.Writer, image string) error {
	if o.output != "text" && o.output != "json" {
		return usageError{fmt.Errorf("--output %q: use text or json", o.output)}
	}
	switch {
	case o.key == "" && o.identity.Empty():
		return usageError{errors.New("--key or --certificate-identity is required: the public key (PEM file, cosign.pub) or KMS reference the attestations must be signed with, or the identity of their keyless certificate")}
	case o.key != "" && !o.identity.Empty():
		return usageError{errors.New("give --key or --certificate-identity/--certificate-oidc-issuer, not both")}
	case !o.identity.Empty():
		if err := o.identity.Validate(); err != nil {
			return usageError{fmt.Errorf("verifying by identity: %w", err)}
		}
		if o.trustedRoot == "" {
			return usageError{errors.New("verifying by identity needs --trusted-root: the Fulcio certificate authorities (and CT logs) the certificate is checked against")}
		}
	}
	if o.offline && strings.Contains(o.key, "://") {
		return usageError{errors.New("--offline reads no KMS: pass the public key as a PEM file (--key)")}
	}
	if o.saveBundle != "" && (o.offline || o.ignoreTlog) {
		return usageError{errors.New("--save-bundle needs an online verification with the transparency log (no --offline, no --insecure-ignore-tlog)")}
	}
	if err := o.checkSourceFlags(); err != nil {
		return usageError{err}
	}
	if o.timeout <= 0 {
		return usageError{fmt.Errorf("--timeout %s: give a positive duration (e.g. 2m)", o.timeout)}
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	// The verification writes its report to a buffer, copied out when it
	// returns; past the deadline (and a grace period to notice it) the
	// command returns whether or not a client honoured the context.
	type result struct {
		out bytes.Buffer
		err error
	}
	done := make(chan *result, 1)
	go func() {
		r := &result{}
		r.err = o.verify(ctx, &r.out, image)
		done <- r
	}()
	var r *result
	select {
	case r = <-done:
	case <-ctx.Done():
		select {
		case r = <-done:
		case <-time.After(verifyGrace):
			err := fmt.Errorf("%w: gave up after --timeout %s", verify.ErrInconclusive, o.timeout)
			return o.report(stdout, &verify.Report{Image: image, Outcome: verify.Inconclusive, Error: err.Error()}, err)
		}
	}
	if _, err := stdout.Write(r.out.Bytes()); err != nil {
		return inconclusiveError{fmt.Errorf("writing the report: %w", err)}
	}
	if r.err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return inconclusiveError{fmt.Errorf("gave up after --timeout %s: %w", o.timeout, r.err)}
	}
	return r.err
}

// verifyGrace is how long after --timeout the verification may take to
// notice the deadline and report what it checked.
const verifyGrace = 2 * time.Second

func (o *verifyOptions) verify(ctx context.Context, stdout io.Writer, image string) error {
	defer o.src.close()
	opts, key, err := o.verifierOptions(ctx)
	if err != nil {
		return o.report(stdout, &verify.Report{Image: image, Outcome: verify.Inconclusive, Error: err.Error()}, err)
	}
	v, err := verify.New(key, opts...)
	if err != nil {
		if errors.Is(err, verify.ErrInconclusive) {
			return inconclusiveError{err}
		}
		return usageError{err}
	}
	rep, err := v.Verify(ctx, image)
	return o.report(stdout, rep, err)
}

// verifierOptions loads the key, the log trust and the policy; an error
// here means nothing could be verified.
func (o *verifyOptions) verifierOptions(ctx context.Context) ([]verify.Option, *verify.Key, error) {
	opts := []verify.Option{verify.WithRequirements(o.req), verify.WithClock(time.Now)}
	var key *verify.Key
	if o.identity.Empty() {
		var err error
		if key, err = verify.LoadKey(ctx, o.key); err != nil {
			return nil, nil, err
		}
	} else {
		trust, err := signing.LoadTrustRoot(o.trustedRoot)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: --trusted-root: %w", verify.ErrInconclusive, err)
		}
		opts = append(opts, verify.WithIdentity(o.identity, trust, o.ignoreSCT))
	}
	switch {
	case o.ignoreTlog:
		opts = append(opts, verify.WithoutTransparencyLog())
	case o.trustedRoot != "":
		logs, err := verify.LogsFromTrustedRoot(o.trustedRoot)
		if err != nil {
			return nil, nil, err
		}
		opts = append(opts, verify.WithTransparencyLogs(logs))
	case o.rekorPublicKey != "":
		logs, err := verify.LogsFromPEM(o.rekorPublicKey)
		if err != nil {
			return nil, nil, err
		}
		opts = append(opts, verify.WithTransparencyLogs(logs))
		if o.rekorURL == "" {
			o.rekorURL = "https://rekor.sigstore.dev"
		}
	}
	if o.rekorURL != "" {
		opts = append(opts, verify.WithRekorURL(o.rekorURL))
	}
	if o.offline {
		opts = append(opts, verify.WithOffline(o.bundles...))
	} else if len(o.bundles) > 0 {
		opts = append(opts, verify.WithBundles(o.bundles...))
	}
	if o.noReferrers {
		opts = append(opts, verify.WithoutReferrers())
	}
	if o.src.any() {
		srcs, err := o.src.sources(ctx)
		if err != nil {
			return nil, nil, err
		}
		opts = append(opts, verify.WithSources(srcs...))
	}
	if o.policy != "" {
		p, err := verify.LoadRegoPolicy(ctx, o.policy)
		if err != nil {
			return nil, nil, err
		}
		opts = append(opts, verify.WithRegoPolicy(p))
	}
	return opts, key, nil
}

// report prints the report and turns its outcome into the exit code.
func (o *verifyOptions) report(stdout io.Writer, rep *verify.Report, verr error) error {
	var werr error
	if o.output == "json" {
		werr = rep.WriteJSON(stdout)
	} else {
		werr = rep.WriteText(stdout)
	}
	switch {
	case verr != nil:
		return inconclusiveError{verr}
	case werr != nil:
		return inconclusiveError{werr}
	}
	switch rep.Outcome {
	case verify.Verified:
		if o.saveBundle != "" {
			if err := rep.SaveBundle(o.saveBundle); err != nil {
				return inconclusiveError{err}
			}
		}
		return nil
	case verify.Inconclusive:
		c, _ := rep.FirstProblem()
		return inconclusiveError{fmt.Errorf("could not verify %s: %s: %s", rep.Reference, c.Name, c.Detail)}
	}
	c, _ := rep.FirstProblem()
	return verifyFailedError{fmt.Errorf("verification failed for %s: %s: %s", rep.Reference, c.Name, c.Detail)}
}
