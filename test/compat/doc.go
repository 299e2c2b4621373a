// Package compat checks that chainseal's statements are field-compatible
// with Tekton Chains v0.28.1's: it runs Chains' formatters as a library on
// the fixtures chainseal's golden tests use (pkg/provenance/provenancetest)
// and compares the two JSON documents field by field. Every difference is
// either fixed in chainseal or listed, with its reason, in accepted.go and
// docs/provenance.md; a new difference fails the test.
//
// It is its own module so that Chains' dependencies never enter chainseal's
// go.mod. Run it with ./run.
package compat
