// Command kafka-double is a Kafka test double for the test stack: franz-go's
// kfake, an in-memory server of the Kafka protocol written for tests, on
// one loopback port. It is not Apache Kafka (no broker builds from the
// module proxy): chainseal's kafka backend is shown against it, and its
// messages are read back with franz-go's own client (kgo). Topic creation
// on first use is off, so a topic the double was not started with is
// refused, as a broker with auto.create.topics.enable=false refuses it.
package main

import (
	"flag"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
)

func main() {
	port := flag.Int("port", 0, "port on 127.0.0.1")
	topics := flag.String("topics", "chains", "comma-separated topics to create (one partition each)")
	flag.Parse()
	if *port == 0 {
		log.Fatal("kafka-double: -port is required")
	}
	c, err := kfake.NewCluster(kfake.Ports(*port), kfake.SeedTopics(1, strings.Split(*topics, ",")...))
	if err != nil {
		log.Fatalf("kafka-double: %v", err)
	}
	log.Printf("kafka-double (a Kafka test double: franz-go kfake, in memory) on %s, topics %s", strings.Join(c.ListenAddrs(), ","), *topics)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	c.Close()
}
