// A Grafeas v1 server for the test stack: Grafeas' own v1 API request
// handling (go/v1/api) over an in-memory store, served over gRPC on
// loopback (grafeas v0.2.3 has a server program only for v1beta1).
module github.com/chainseal/chainseal/test/stack/tools/grafeas

go 1.25.0

require (
	github.com/grafeas/grafeas v0.2.3
	google.golang.org/genproto v0.0.0-20260715232425-e75dac1f907d
	google.golang.org/grpc v1.83.2
	google.golang.org/protobuf v1.36.12
)

require (
	github.com/golang/protobuf v1.5.4 // indirect
	github.com/google/logger v1.1.0 // indirect
	github.com/grpc-ecosystem/grpc-gateway/v2 v2.7.3 // indirect
	golang.org/x/net v0.58.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
	golang.org/x/text v0.41.0 // indirect
	google.golang.org/genproto/googleapis/api v0.0.0-20260630182238-925bb5da69e7 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260630182238-925bb5da69e7 // indirect
)
