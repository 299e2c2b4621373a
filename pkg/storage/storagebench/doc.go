// Package storagebench measures the gcs, docdb, grafeas, archivista and
// kafka backends' Store on the stack's servers (fake-gcs-server, FerretDB,
// our Grafeas v1 server, Archivista, the Kafka test double): latency on
// loopback and the bytes each Store sends, counted by a loopback TCP relay
// in front of each server, for kafka at the client's dialer
// (bench_stack_test.go, go test -tags stack -bench .
// ./pkg/storage/storagebench/).
package storagebench
