// Command grafeas-server serves Grafeas' own v1 API request handling
// (github.com/grafeas/grafeas/go/v1/api: argument checks, validation of notes
// and occurrences, the v1 resource names) over gRPC, backed by an in-memory
// store, for the test stack's grafeas storage backend. Grafeas v0.2.3 ships a
// server program only for its v1beta1 API, which Tekton Chains does not
// speak; this program registers the v1 handling with Grafeas' generated gRPC
// service and nothing else. Every request is allowed (no authentication: it
// listens on loopback only) and everything is gone when it exits.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"

	grafeasv1 "github.com/grafeas/grafeas/go/v1/api"
	gpb "github.com/grafeas/grafeas/proto/v1/grafeas_go_proto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// server is Grafeas' v1 API as the generated service wants it: the API's
// methods, and the generated defaults (Unimplemented) for the one method
// the API has none for.
type server struct {
	*grafeasv1.API
	unimplemented
}

type unimplemented struct{ gpb.UnimplementedGrafeasServer }

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "loopback address to serve gRPC on")
	flag.Parse()
	if err := run(*listen); err != nil {
		fmt.Fprintln(os.Stderr, "grafeas-server:", err)
		os.Exit(1)
	}
}

func run(listen string) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("-listen %q: %w", listen, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-listen %q: a loopback address only (this server has no authentication)", listen)
	}
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	s := grpc.NewServer()
	gpb.RegisterGrafeasServer(s, &server{API: &grafeasv1.API{Storage: NewMemStore(), Auth: allowAll{}, EnforceValidation: true}})
	h := health.NewServer()
	healthpb.RegisterHealthServer(s, h)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() { <-ctx.Done(); s.GracefulStop() }()
	log.Printf("grafeas-server: Grafeas v1 API on %s (in memory)", l.Addr())
	return s.Serve(l)
}
