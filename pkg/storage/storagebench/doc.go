// Package storagebench measures the gcs, docdb and grafeas backends'
// Store on the stack's real servers (fake-gcs-server, FerretDB, our Grafeas
// v1 server): latency on loopback and the bytes each Store sends, counted
// by a loopback TCP relay in front of each server (bench_stack_test.go,
// go test -tags stack -bench . ./pkg/storage/storagebench/).
package storagebench
