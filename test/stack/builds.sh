# How each build of components.sh is made: build_<name> DIR leaves the
# build's files in DIR. Sourced by test/stack/build.

build_apt() {
  local missing sudo=
  missing=$(apt_missing) && return 0
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  log "apt-get install $missing"
  $sudo apt-get update -qq >/dev/null
  # shellcheck disable=SC2086
  # Success is every package installed: apt-get's exit status also counts
  # maintainer scripts that could not start services (no init system here).
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
    log "apt-get install exited $?; checking what it installed"
  # The packages start system services we do not use; ours run privately.
  local s
  for s in mariadb redis-server docker-registry containerd; do
    timeout 30 $sudo service "$s" stop >/dev/null 2>&1 || true
  done
  if ! missing=$(apt_missing); then
    log "apt: still not installed: $missing"
    return 1
  fi
}

# go_install DIR PKG@VERSION...: go install into DIR.
go_install() {
  local dir=$1; shift
  GOBIN=$dir go install -trimpath -ldflags='-s -w' "$@"
}

# module_dir MODULE@VERSION: the module's directory in the module cache.
module_dir() {
  GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p'
}

# Each build says whether it uses cgo (make test exports CGO_ENABLED=0 for
# chainseal's own packages): the tools of chainseal's go.mod build static,
# the others as their projects' defaults.
unset CGO_ENABLED

# repo_tool DIR MODULE VERSION PKG...: builds PKG..., tools of the
# repository's own go.mod (its `tool` lines), into DIR. In chainseal's module
# they link the dependency versions chainseal links, and built as `make test`
# builds chainseal (static, -trimpath, as ko builds the image) the packages
# they share with it (sigstore, grpc, client-go, Tekton's API, the cloud KMS
# SDKs) compile once for the stack, go vet, the tests and the image. VERSION,
# the builds table's, keys the cache, so it must be the version go.mod
# selects for MODULE.
repo_tool() {
  local dir=$1 module=$2 want=$3 got; shift 3
  got=$(cd "$REPO_DIR" && go list -m -f '{{.Version}}' "$module")
  [ "$got" = "$want" ] ||
    die "go.mod selects $module $got, test/stack/components.sh says $want: make them the same"
  (cd "$REPO_DIR" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$dir/" "$@")
}

build_crane() { repo_tool "$1" github.com/google/go-containerregistry "$CRANE_VERSION" github.com/google/go-containerregistry/cmd/crane; }
build_ko() { go_install "$1" "github.com/google/ko@$KO_VERSION"; }
build_cosign() { repo_tool "$1" github.com/sigstore/cosign/v2 "$COSIGN_VERSION" github.com/sigstore/cosign/v2/cmd/cosign; }
build_fulcio() { repo_tool "$1" github.com/sigstore/fulcio "$FULCIO_VERSION" github.com/sigstore/fulcio; }
build_rekor() {
  repo_tool "$1" github.com/sigstore/rekor "$REKOR_VERSION" github.com/sigstore/rekor/cmd/rekor-server github.com/sigstore/rekor/cmd/rekor-cli
}

build_trillian() {
  repo_tool "$1" github.com/google/trillian "$TRILLIAN_VERSION" github.com/google/trillian/cmd/trillian_log_server \
    github.com/google/trillian/cmd/trillian_log_signer github.com/google/trillian/cmd/createtree
  # The schema MariaDB is loaded with ships in the trillian module.
  cp "$(module_dir "github.com/google/trillian@$TRILLIAN_VERSION")/storage/mysql/schema/storage.sql" "$1/storage.sql"
}

# fake-gcs-server: the GCS JSON API (storage backend gcs).
build_fakegcs() { go_install "$1" "github.com/fsouza/fake-gcs-server@$FAKEGCS_VERSION"; }

# FerretDB: the MongoDB wire protocol over SQLite (storage backend docdb).
# Its version comes from build/version/version.txt, which the module does
# not ship (it panics at start without one): build from a copy with it.
build_ferretdb() {
  local src; src=$(module_dir "github.com/FerretDB/FerretDB@$FERRETDB_VERSION")
  local tmp; tmp=$(mktemp -d)
  cp -r "$src/." "$tmp/" && chmod -R u+w "$tmp"
  echo "$FERRETDB_VERSION" >"$tmp/build/version/version.txt"
  (cd "$tmp" && go build -trimpath -ldflags '-s -w' -o "$1/ferretdb" ./cmd/ferretdb)
  rm -rf "$tmp"
}

# Grafeas v1: Grafeas' own v1 API handling (go/v1/api of grafeas v0.2.3)
# over an in-memory store, our small program in tools/grafeas (storage
# backend grafeas). The version's suffix counts changes to that program:
# bump it when tools/grafeas changes, so cached builds are rebuilt.
build_grafeas() {
  (cd "$STACK_DIR/tools/grafeas" && go build -trimpath -ldflags '-s -w' -o "$1/grafeas-server" .)
}

# Archivista (in-toto): the attestation store of storage backend archivista.
# chainseal's go.mod already requires its module (the client).
build_archivista() {
  repo_tool "$1" github.com/in-toto/archivista "$ARCHIVISTA_VERSION" github.com/in-toto/archivista/cmd/archivista
}

# The Kafka test double (storage backend kafka): franz-go's kfake, an
# in-memory Kafka protocol server for tests, wrapped by our small program in
# tools/kafkadouble (no Kafka broker builds from the module proxy). The
# version names kfake's commit date; its suffix counts changes to our
# program: bump it when tools/kafkadouble changes.
build_kafkadouble() {
  (cd "$STACK_DIR/tools/kafkadouble" && go build -trimpath -ldflags '-s -w' -o "$1/kafka-double" .)
}

# kube and etcd build from our tools module (k8s.io/kubernetes replaces its
# staging modules, so `go install` cannot build it). The -X flags make the
# binaries report their version instead of v0.0.0-master.
build_kube() {
  local minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
  local ld="-s -w" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  (cd "$STACK_DIR/tools/kube" && go build -trimpath -ldflags "$ld" -o "$1/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kubectl)
}

build_etcd() {
  (cd "$STACK_DIR/tools/kube" && go build -trimpath -ldflags '-s -w' -o "$1/etcd" go.etcd.io/etcd/server/v3)
}

# Vault's own minimal build (-tags minimal: the transit engine, the jwt,
# approle, cert and userpass auth methods, no database plugins, cloud auth
# methods or storage backends other than inmem, file and raft): a quarter of
# the full build's cold compile. The kubernetes auth method, which the
# minimal build leaves out, is Vault's own plugin built as a program; the dev
# server registers it from plugins/ (-dev-plugin-dir) under its file name.
build_vault() {
  (cd "$STACK_DIR/tools/vault" && go build -tags minimal -trimpath -ldflags '-s -w' -o "$1/vault" github.com/hashicorp/vault &&
    mkdir -p "$1/plugins" &&
    go build -trimpath -ldflags '-s -w' -o "$1/plugins/kubernetes" github.com/hashicorp/vault-plugin-auth-kubernetes/cmd/vault-plugin-auth-kubernetes)
}

# tkn's go.mod has a replace directive, so it builds from our tools module.
build_tkn() {
  (cd "$STACK_DIR/tools/tkn" && go build -trimpath \
      -ldflags "-s -w -X github.com/tektoncd/cli/pkg/cmd/version.clientVersion=${TKN_VERSION#v}" \
      -o "$1/tkn" github.com/tektoncd/cli/cmd/tkn)
}

# Tekton Pipelines: the controller and the resolvers (processes of the
# stack), the four programs Tekton puts in pods (static, as ko builds them;
# up pushes each as a one-layer image), and the CRDs of config/300-crds.
# Tekton's module is chainseal's dependency: they build from go.mod's tool
# lines, with the versions of Tekton's dependencies chainseal links (newer
# patch releases of some than Tekton v1.15.0's own go.mod asks for).
build_tekton() {
  local p pkgs=()
  for p in controller resolvers entrypoint nop sidecarlogresults workingdirinit; do pkgs+=("github.com/tektoncd/pipeline/cmd/$p"); done
  repo_tool "$1" github.com/tektoncd/pipeline "$TEKTON_VERSION" "${pkgs[@]}"
  local mod; mod=$(cd "$REPO_DIR" && go list -m -f '{{.Dir}}' github.com/tektoncd/pipeline)
  [ -d "$mod/config/300-crds" ] || die "tekton CRDs not found in $mod"
  mkdir -p "$1/crds" && cp "$mod"/config/300-crds/*.yaml "$1/crds/"
}

# The pod sandbox ("pause") image's program, from the kubernetes module's
# source, static, as the upstream image has it.
build_pause() {
  local src; src=$(module_dir "k8s.io/kubernetes@$KUBE_VERSION")/build/pause/linux/pause.c
  gcc -Os -static -Wall -DVERSION="$PAUSE_VERSION" -o "$1/pause" "$src"
  strip "$1/pause" 2>/dev/null || true
}

# Tekton Chains' controller, for the benchmark (test/bench/run).
build_chains() {
  (cd "$REPO_DIR/test/bench/tools/chains" && go build -trimpath -ldflags '-s -w' -o "$1/controller" github.com/tektoncd/chains/cmd/controller)
}
