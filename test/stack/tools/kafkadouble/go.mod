// Builds the stack's Kafka test double (franz-go's kfake on a loopback
// port): no Kafka broker builds from the module proxy.
module github.com/chainseal/chainseal/test/stack/tools/kafkadouble

go 1.26.5

require github.com/twmb/franz-go/pkg/kfake v0.0.0-20260918054303-01f206a7e32c

require (
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/pierrec/lz4/v4 v4.1.33 // indirect
	github.com/twmb/franz-go v1.22.3 // indirect
	github.com/twmb/franz-go/pkg/kmsg v1.15.1 // indirect
)
