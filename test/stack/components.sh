# The test stack's components, one line each. Sourced by lib.sh; read by
# build, up, down and test/bench/run. Adding a component is one line here plus
# its functions: build_<name> in builds.sh, start_<name> and ready_<name> (or
# setup_<name> for a step) in services.sh.

# ---------------------------------------------------------------- builds ----
# What test/stack/build compiles or installs. A build is cached in
# $BIN_CACHE/<name>-<version>/ and counts as cached when every file listed is
# there; build_<name> DIR builds into DIR (a temporary directory, moved into
# place when it succeeds), so changing a version here rebuilds exactly that
# component. Builds run in parallel (CHAINSEAL_BUILD_JOBS, default: the number
# of cores) in the order of this table, each after the ones in its `after`
# column (which share its Go build cache). `for`: stack = built by a plain
# `test/stack/build` and by up; bench = only when named (test/bench/run).
# tekton, cosign, rekor, trillian, fulcio, crane and archivista are tools of
# chainseal's own go.mod (builds.sh: repo_tool), so their versions are the
# ones go.mod selects; they build one after the other, each reusing what the
# one before compiled (and go vet and the tests later reuse it all).
#
#      name      version    files (all present = cached)                                                  after  for
build  apt       -          -                                                                             -      stack
build  vault     v1.19.5-minimal "vault plugins/kubernetes"                                                 -      stack
build  kube      v1.33.13   "kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl"       -      stack
build  etcd      v3.5.21    etcd                                                                          kube   stack
build  tekton    v1.15.0    "controller resolvers entrypoint nop sidecarlogresults workingdirinit crds"  -      stack
build  pause     v3.10      pause                                                                         apt    stack
build  crane     v0.22.1    crane                                                                         fulcio stack
build  trillian  v1.7.3     "trillian_log_server trillian_log_signer createtree storage.sql"             rekor  stack
build  rekor     v1.5.4     "rekor-server rekor-cli"                                                      cosign stack
build  cosign    v2.6.5     cosign                                                                        tekton stack
build  fulcio    v1.8.4     fulcio                                                                        trillian stack
build  ko        v0.19.1    ko                                                                            -      stack
build  tkn       v0.46.0    tkn                                                                           -      stack
build  fakegcs   v1.56.1    fake-gcs-server                                                               -      stack
build  ferretdb  v1.24.0    ferretdb                                                                      -      stack
build  grafeas   v0.2.3-1   grafeas-server                                                                -      stack
build  archivista v0.11.1   archivista                                                                    crane  stack
build  kafkadouble kfake-20260918-1 kafka-double                                                          -      stack
build  chains    v0.26.0    controller                                                                    -      bench

# Debian packages (the apt build): servers we run privately, the node's
# runtime, and what the scripts use.
APT_PACKAGES="curl docker-registry mariadb-server redis-server openssl gnupg ca-certificates apache2-utils
  iproute2 iptables psmisc util-linux containerd runc containernetworking-plugins busybox-static gcc libc6-dev"

# -------------------------------------------------------------- services ----
# What test/stack/up runs, all inside the stack's private network namespace.
# A `service` is a process: start_<name> starts it (with spawn), ready_<name>
# says when it serves. A `step` is a one-shot setup_<name>. Each starts as
# soon as everything in its `needs` column is ready, so independent ones
# start in parallel. `ports`: variables up sets to free ports before any
# start (NAME:2 = two consecutive ports). down stops the services in the
# reverse order of this table, each with its signal, then kills it after the
# grace period (seconds). An `ondemand` service is one up does not start: a
# test that needs it starts it (test/stack/up --start NAME; stacktest's
# Env.Start), and down stops it like the others.
#
#        name                     needs                                   ports                                          stop
step     certs                    -                                       -
service  etcd                     -                                       "ETCD_PORT ETCD_PEER_PORT"                     TERM:10
step     mariadb-init             -                                       -
service  mariadb                  mariadb-init                            MYSQL_PORT                                     TERM:30
service  redis                    -                                       REDIS_PORT                                     TERM:10
service  kube-apiserver           "certs etcd"                            API_PORT                                       TERM:5
service  kube-controller-manager  kube-apiserver                          -                                              TERM:10
service  kube-scheduler           kube-apiserver                          SCHEDULER_PORT                                 TERM:10
step     crds                     kube-apiserver                          -
service  registry                 certs                                   REGISTRY_PORT                                  TERM:10
step     images                   registry                                -
step     trillian-db              mariadb                                 -
service  trillian-log-server      trillian-db                             "TLOG_RPC_PORT TLOG_HTTP_PORT"                 INT:2
service  trillian-log-signer      trillian-db                             "TSIGN_RPC_PORT TSIGN_HTTP_PORT"               INT:2
step     trillian-tree            "trillian-log-server trillian-log-signer" -
service  rekor                    "trillian-tree redis certs"             REKOR_PORT                                     TERM:10
step     oidc-discovery           kube-apiserver                          -
service  fulcio                   oidc-discovery                          FULCIO_PORT:3                                  TERM:10
step     trusted-root             "fulcio rekor"                          -
service  vault                    -                                       VAULT_PORT:2                                   TERM:10
step     vault-config             "vault kube-apiserver"                  -
service  containerd               certs                                   CONTAINERD_STREAM_PORT                         TERM:10
service  kubelet                  "kube-apiserver containerd"             "KUBELET_PORT KUBELET_HEALTHZ_PORT"            TERM:10
step     tekton-config            crds                                    -
service  tekton-controller        "tekton-config images"                  "TEKTON_PROBES_PORT TEKTON_PROFILING_PORT"     TERM:10
service  tekton-resolvers         tekton-config                           "RESOLVERS_PROBES_PORT RESOLVERS_PROFILING_PORT" TERM:10
step     node-ready               "kubelet kube-scheduler kube-controller-manager" -
service  fakegcs                  -                                       GCS_PORT                                       TERM:5
service  ferretdb                 -                                       FERRETDB_PORT:2                                TERM:10
service  grafeas                  -                                       GRAFEAS_PORT                                   TERM:5
ondemand archivista               mariadb                                 ARCHIVISTA_PORT:2                              KILL:2
ondemand kafkadouble              -                                       KAFKA_DOUBLE_PORT                              TERM:5
