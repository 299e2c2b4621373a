# How each service and step of components.sh starts: start_<name> starts
# the process with spawn, ready_<name> succeeds once it serves; setup_<name>
# is a step. Sourced by test/stack/up, which runs each in its own subshell
# inside the stack's network namespace once what it needs is ready, with
# the values earlier ones published (publish/note) in its environment.

kc() { "$(bin kube)/kubectl" --kubeconfig "$STATE_DIR/kubeconfig" --request-timeout 20s "$@"; }
tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
rand_secret() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

# ---------- certificates, credentials, kubeconfigs ----------
# cert NAME SUBJECT EXTENSIONS: an EC key and a certificate signed by the
# stack CA, in $CERTS/NAME.{key,crt}.
cert() {
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$2" \
    -keyout "$CERTS/$1.key" -out "$CERTS/$1.csr"
  printf '%b\n' "$3" >"$CERTS/$1.ext"
  openssl x509 -req -in "$CERTS/$1.csr" -CA "$CERTS/ca.crt" -CAkey "$CERTS/ca.key" -CAcreateserial \
    -days 30 -extfile "$CERTS/$1.ext" -out "$CERTS/$1.crt"
}

setup_certs() {
  cd "$CERTS"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/CN=chainseal-stack-ca" -keyout ca.key -out ca.crt \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  # The API server is reached at 127.0.0.1, at the node's address, and (from
  # pods, through rest.InClusterConfig) at the kubernetes Service's.
  cert server "/CN=127.0.0.1" "subjectAltName=IP:127.0.0.1,IP:$NODE_IP,IP:$CLUSTER_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth"
  cert kubelet "/CN=$NODE_NAME" "subjectAltName=IP:$NODE_IP,IP:127.0.0.1,DNS:$NODE_NAME\nextendedKeyUsage=serverAuth"
  # The kubelet's identity (Node authorizer) and the API server's toward
  # the kubelet (logs, exec).
  cert kubelet-client "/O=system:nodes/CN=system:node:$NODE_NAME" "extendedKeyUsage=clientAuth"
  cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "extendedKeyUsage=clientAuth"
  openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out sa.key
  openssl pkey -in sa.key -pubout -out sa.pub
  # Rekor's log key: a file, so the log's public key is stable while up.
  openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out rekor.key

  local admin_token; admin_token=$(rand_secret)
  echo "$admin_token,admin,admin,system:masters" >tokens.csv
  local api_url=https://127.0.0.1:$API_PORT
  kubeconfig "$STATE_DIR/kubeconfig" "$api_url" "token: $admin_token"
  kubeconfig "$STATE_DIR/kubelet.kubeconfig" "$api_url" "client-certificate: $CERTS/kubelet-client.crt
    client-key: $CERTS/kubelet-client.key"
  publish KUBECONFIG "$STATE_DIR/kubeconfig"
  publish KUBE_API_URL "$api_url"
  publish KUBE_CA_FILE "$CERTS/ca.crt"
  publish KUBE_ADMIN_TOKEN "$admin_token"

  local user=chainseal password; password=$(rand_secret)
  htpasswd -Bbn "$user" "$password" >htpasswd
  publish REGISTRY_USERNAME "$user"
  publish REGISTRY_PASSWORD "$password"
  # The same credentials as a docker config (crane, and Tekton's controller
  # and resolvers: their keychain reads DOCKER_CONFIG, as a node's would).
  mkdir -p "$STATE_DIR/docker"
  printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"}}}\n' "$REGISTRY_PORT" "$(printf '%s:%s' "$user" "$password" | base64 -w0)" \
    >"$STATE_DIR/docker/config.json"
  chmod 600 "$STATE_DIR/docker/config.json"
  publish REGISTRY_DOCKER_CONFIG "$STATE_DIR/docker"
}

# kubeconfig FILE SERVER USER-FIELDS
kubeconfig() {
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: stack
  cluster:
    server: $2
    certificate-authority: $CERTS/ca.crt
users:
- name: user
  user:
    $3
contexts:
- name: stack
  context: {cluster: stack, user: user}
current-context: stack
EOF
  chmod 600 "$1"
}

# ---------- etcd ----------
start_etcd() {
  spawn etcd "$(bin etcd)/etcd" --data-dir "$DATA/etcd" --name stack \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "stack=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync --log-level warn
}
ready_etcd() { tcp_open 127.0.0.1 "$ETCD_PORT"; }

# ---------- MariaDB and Redis ----------
setup_mariadb-init() {
  mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$DATA/mysql" \
    --auth-root-authentication-method=normal --skip-test-db
}
start_mariadb() {
  spawn mariadb mariadbd --no-defaults --user="$(id -un)" --datadir="$DATA/mysql" \
    --bind-address=127.0.0.1 --port="$MYSQL_PORT" --socket="$DATA/mysql/mysql.sock" --skip-log-bin \
    --innodb-flush-log-at-trx-commit=0 --innodb-buffer-pool-size=64M
  publish MYSQL_ADDR "127.0.0.1:$MYSQL_PORT"
}
ready_mariadb() { mariadb-admin --no-defaults --socket="$DATA/mysql/mysql.sock" -uroot ping; }

start_redis() {
  spawn redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
    --dir "$DATA" --protected-mode yes
  publish REDIS_ADDR "127.0.0.1:$REDIS_PORT"
}
ready_redis() { redis-cli -p "$REDIS_PORT" ping; }

# ---------- Kubernetes control plane ----------
# The API server binds every address of the private namespace: 127.0.0.1
# (tests), the node's address (its advertised address, where the
# kubernetes Service's endpoint points) and, through the DNAT rule up adds,
# the kubernetes Service's cluster IP on port 443 (pods).
# Anonymous requests are authenticated only on the two OIDC discovery
# paths, so Fulcio can read the issuer's discovery document and keys (the
# API server is the OIDC issuer of ServiceAccount tokens, for keyless
# signing); everywhere else an anonymous request is refused (401), as with
# --anonymous-auth=false.
start_kube-apiserver() {
  local api_url=https://127.0.0.1:$API_PORT
  cat >"$CERTS/authentication.yaml" <<EOF
apiVersion: apiserver.config.k8s.io/v1beta1
kind: AuthenticationConfiguration
anonymous:
  enabled: true
  conditions:
  - path: /.well-known/openid-configuration
  - path: /openid/v1/jwks
EOF
  spawn kube-apiserver "$(bin kube)/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 0.0.0.0 --advertise-address "$NODE_IP" --secure-port "$API_PORT" \
    --tls-cert-file "$CERTS/server.crt" --tls-private-key-file "$CERTS/server.key" \
    --client-ca-file "$CERTS/ca.crt" --token-auth-file "$CERTS/tokens.csv" \
    --service-account-issuer "$api_url" --service-account-jwks-uri "$api_url/openid/v1/jwks" \
    --service-account-key-file "$CERTS/sa.pub" --service-account-signing-key-file "$CERTS/sa.key" \
    --api-audiences "$api_url,https://kubernetes.default.svc" \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --authentication-config "$CERTS/authentication.yaml" \
    --kubelet-client-certificate "$CERTS/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$CERTS/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$CERTS/ca.crt" --kubelet-preferred-address-types InternalIP \
    --service-cluster-ip-range "$SERVICE_CIDR" --endpoint-reconciler-type lease \
    --enable-priority-and-fairness=false --profiling=false --v=0
}
ready_kube-apiserver() { kc get --raw /readyz; }

# Garbage collection (TaskRuns go with their PipelineRun), namespace
# deletion, default ServiceAccounts (pods are refused without one), the
# kube-root-ca.crt ConfigMap (the ca.crt of in-cluster config) and the node's
# lifecycle (it lifts the not-ready taint a node registers with).
start_kube-controller-manager() {
  spawn kube-controller-manager "$(bin kube)/kube-controller-manager" \
    --kubeconfig "$STATE_DIR/kubeconfig" --leader-elect=false --secure-port 0 \
    --controllers garbage-collector-controller,namespace-controller,serviceaccount-controller,root-ca-certificate-publisher-controller,node-lifecycle-controller \
    --root-ca-file "$CERTS/ca.crt" --use-service-account-credentials=false
}
ready_kube-controller-manager() { kc get serviceaccount default -n default; }

start_kube-scheduler() {
  spawn kube-scheduler "$(bin kube)/kube-scheduler" --kubeconfig "$STATE_DIR/kubeconfig" \
    --leader-elect=false --bind-address 127.0.0.1 --secure-port "$SCHEDULER_PORT" --cert-dir "$DATA/kube-scheduler"
}
ready_kube-scheduler() { curl -skf -m 5 "https://127.0.0.1:$SCHEDULER_PORT/healthz"; }

# Tekton's CRDs. No Tekton webhook runs here, so there is no conversion:
# tekton.dev/v1 only (v1beta1 requests fail), and no defaulting or
# validation beyond the OpenAPI schema. One change to the schema: v1.15.0's
# ResolutionRequest status requires data, refSource and source, which a
# failed resolution does not have, so a resolver could not record a failure
# (the run waited for the resolution timeout instead).
setup_crds() {
  mkdir -p "$STATE_DIR/crds"
  local f
  for f in "$(bin tekton)"/crds/*.yaml; do
    awk '
      /^  conversion:/ { skip = 1; print "  conversion:"; print "    strategy: None"; next }
      skip && /^    / { next }
      { skip = 0 }
      FILENAME ~ /resolutionrequest/ && /^              required:$/ { held = $0; n = 0; inreq = 1; next }
      inreq && /^                - / { if ($2 != "data" && $2 != "refSource" && $2 != "source") keep[++n] = $0; next }
      inreq { if (n > 0) { print held; for (i = 1; i <= n; i++) print keep[i] } inreq = 0 }
      { print }
    ' "$f" >"$STATE_DIR/crds/$(basename "$f")"
  done
  kc apply --server-side -f "$STATE_DIR/crds"
  kc wait --for condition=Established --timeout 60s crd --all
}

# ---------- OCI registry (docker-registry with htpasswd) ----------
start_registry() {
  cat >"$STATE_DIR/registry.yml" <<EOF
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $DATA/registry}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:$REGISTRY_PORT
auth:
  htpasswd: {realm: chainseal-stack, path: $CERTS/htpasswd}
EOF
  spawn registry docker-registry serve "$STATE_DIR/registry.yml"
  publish REGISTRY "127.0.0.1:$REGISTRY_PORT"
}
ready_registry() { [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$REGISTRY_PORT/v2/")" = 401 ]; }

# ---------- images the node runs, pushed to the stack registry ----------
# Each is one layer on an empty base, as ko makes them (Tekton hard-codes
# /ko-app/<name>); the layer tarballs are reproducible, so the digests only
# change with the binaries.
# push_image NAME TAG ROOTFS-DIR CRANE-MUTATE-ARGS...: prints the reference by digest.
push_image() {
  local name=$1 tag=$2 root=$3 ref layer digest; shift 3
  ref=$REGISTRY/stack/$name:$tag layer=$DATA/images/${name//\//_}.tar
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -cf "$layer" .
  crane append --oci-empty-base -f "$layer" -t "$ref" >/dev/null
  digest=$(crane mutate "$ref" --set-platform linux/amd64 "$@" -t "$ref")
  [[ $digest == *@sha256:* ]] || die "crane mutate $ref printed $digest"
  echo "$REGISTRY/stack/$name@${digest##*@}"
}
crane() { DOCKER_CONFIG=$STATE_DIR/docker "$(bin crane)/crane" "$@"; }

setup_images() {
  local root=$DATA/images/root pids=() p var
  mkdir -p "$DATA/images"
  # push_bg VAR NAME TAG ROOT ARGS...: push_image in the background; the
  # reference goes to $DATA/images/VAR.
  push_bg() { local var=$1; shift; push_image "$@" >"$DATA/images/$var" & pids+=($!); }
  # The pod sandbox.
  mkdir -p "$root-pause" && cp "$(bin pause)/pause" "$root-pause/pause"
  push_bg PAUSE_IMAGE pause "$PAUSE_VERSION" "$root-pause" --entrypoint /pause
  # A shell (Debian's busybox-static): Tekton's shell image, and the image
  # tests' script steps run on.
  mkdir -p "$root-busybox/bin" "$root-busybox/tmp" "$root-busybox/etc" && chmod 1777 "$root-busybox/tmp"
  cp /bin/busybox "$root-busybox/bin/busybox"
  for p in $(/bin/busybox --list); do [ -e "$root-busybox/bin/$p" ] || ln -s busybox "$root-busybox/bin/$p"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' >"$root-busybox/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root-busybox/etc/group"
  local version; version=$(dpkg-query -W -f='${Version}' busybox-static | tr -c 'A-Za-z0-9_.\n-' _)
  push_bg BUSYBOX_IMAGE busybox "$version" "$root-busybox" --cmd /bin/sh \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  # Tekton's programs for pods, at /ko-app/<name>.
  for p in entrypoint nop sidecarlogresults workingdirinit; do
    mkdir -p "$root-$p/ko-app" && cp "$(bin tekton)/$p" "$root-$p/ko-app/$p"
    push_bg "TEKTON_${p^^}_IMAGE" "tekton/$p" "$TEKTON_VERSION" "$root-$p" --entrypoint "/ko-app/$p" \
      --env PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/ko-app --env KO_DATA_PATH=/var/run/ko
  done
  for p in "${pids[@]}"; do wait "$p"; done
  local ref
  for var in PAUSE_IMAGE BUSYBOX_IMAGE TEKTON_ENTRYPOINT_IMAGE TEKTON_NOP_IMAGE TEKTON_SIDECARLOGRESULTS_IMAGE TEKTON_WORKINGDIRINIT_IMAGE; do
    ref=$(cat "$DATA/images/$var")
    publish "$var" "$ref"
  done
  publish TEKTON_SHELL_IMAGE "$BUSYBOX_IMAGE"
  rm -rf "$root"-*
}

# ---------- Trillian + Rekor ----------
setup_trillian-db() {
  local password; password=$(rand_secret)
  mariadb --no-defaults --socket="$DATA/mysql/mysql.sock" -uroot <<EOF
CREATE DATABASE trillian;
CREATE USER 'trillian'@'127.0.0.1' IDENTIFIED BY '$password';
GRANT ALL ON trillian.* TO 'trillian'@'127.0.0.1';
USE trillian;
SOURCE $(bin trillian)/storage.sql;
EOF
  note MYSQL_URI "trillian:$password@tcp(127.0.0.1:$MYSQL_PORT)/trillian"
}
start_trillian-log-server() {
  spawn trillian-log-server "$(bin trillian)/trillian_log_server" --storage_system=mysql --mysql_uri="$MYSQL_URI" \
    --quota_system=noop --rpc_endpoint="127.0.0.1:$TLOG_RPC_PORT" --http_endpoint="127.0.0.1:$TLOG_HTTP_PORT"
}
ready_trillian-log-server() { tcp_open 127.0.0.1 "$TLOG_RPC_PORT"; }
start_trillian-log-signer() {
  spawn trillian-log-signer "$(bin trillian)/trillian_log_signer" --storage_system=mysql --mysql_uri="$MYSQL_URI" \
    --quota_system=noop --rpc_endpoint="127.0.0.1:$TSIGN_RPC_PORT" --http_endpoint="127.0.0.1:$TSIGN_HTTP_PORT" \
    --force_master --sequencer_interval=100ms --batch_size=1000
}
ready_trillian-log-signer() { tcp_open 127.0.0.1 "$TSIGN_RPC_PORT"; }
setup_trillian-tree() {
  local i tree=
  for i in $(seq 1 50); do
    tree=$("$(bin trillian)/createtree" --admin_server="127.0.0.1:$TLOG_RPC_PORT" --tree_type=LOG) && break
    sleep 0.2
  done
  [ -n "$tree" ] || die "trillian createtree failed"
  note TREE_ID "$tree"
}

# rekor-server also serves metrics on :2112 (hard-coded, all interfaces):
# inside the stack's private namespace.
start_rekor() {
  spawn rekor "$(bin rekor)/rekor-server" serve \
    --rekor_server.address=127.0.0.1 --port="$REKOR_PORT" --rekor_server.hostname=127.0.0.1 \
    --trillian_log_server.address=127.0.0.1 --trillian_log_server.port="$TLOG_RPC_PORT" \
    --trillian_log_server.tlog_id="$TREE_ID" \
    --rekor_server.signer="$CERTS/rekor.key" \
    --redis_server.address=127.0.0.1 --redis_server.port="$REDIS_PORT" \
    --enable_attestation_storage=false --log_type=prod
  publish REKOR_URL "http://127.0.0.1:$REKOR_PORT"
  publish REKOR_PUBLIC_KEY_FILE "$STATE_DIR/rekor.pub"
  publish SIGSTORE_REKOR_PUBLIC_KEY "$STATE_DIR/rekor.pub"
}
ready_rekor() {
  curl -sf -m 5 "http://127.0.0.1:$REKOR_PORT/api/v1/log" >/dev/null &&
    curl -sf -m 5 "http://127.0.0.1:$REKOR_PORT/api/v1/log/publicKey" >"$STATE_DIR/rekor.pub"
}

# ---------- Fulcio (keyless certificates) ----------
# The API server as an OIDC issuer: anonymous readers of its discovery
# document and keys (the only paths anonymous requests pass authentication
# on, see start_kube-apiserver) are allowed by RBAC too.
setup_oidc-discovery() {
  kc apply -f - <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: service-account-issuer-discovery-unauthenticated}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:service-account-issuer-discovery}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:unauthenticated}]
EOF
  local i
  for i in $(seq 1 50); do
    curl -sf -m 5 --cacert "$CERTS/ca.crt" "$KUBE_API_URL/openid/v1/jwks" >/dev/null && return 0
    sleep 0.2
  done
  die "the API server's OIDC keys are not readable anonymously"
}

# Fulcio with an ephemeral CA (a new root each start, written to
# $STATE_DIR/fulcio-root.pem once it serves) and the API server as its one
# OIDC issuer (type kubernetes: the certificate's SAN is
# https://kubernetes.io/namespaces/<ns>/serviceaccounts/<sa>). No CT log
# (--ct-log-url ""): certificates carry no SCT, and verifiers turn the SCT
# check off (cosign --insecure-ignore-sct). Its metrics server binds all
# interfaces (--metrics-port has no host): only inside the stack's
# namespace. Ports: HTTP, gRPC, metrics.
start_fulcio() {
  local issuer=$KUBE_API_URL ca
  ca=$(awk '{ printf "%s\\n", $0 }' "$CERTS/ca.crt")
  printf '{"OIDCIssuers":{"%s":{"IssuerURL":"%s","ClientID":"sigstore","Type":"kubernetes","CACert":"%s"}}}\n' \
    "$issuer" "$issuer" "$ca" >"$STATE_DIR/fulcio-config.json"
  spawn fulcio "$(bin fulcio)/fulcio" serve --ca ephemeralca --config-path "$STATE_DIR/fulcio-config.json" \
    --host 127.0.0.1 --port "$FULCIO_PORT" --grpc-host 127.0.0.1 --grpc-port $((FULCIO_PORT + 1)) \
    --metrics-port $((FULCIO_PORT + 2)) --ct-log-url "" --log_type prod \
    --legacy-unix-domain-socket "@chainseal-fulcio-$FULCIO_PORT"
  publish FULCIO_URL "http://127.0.0.1:$FULCIO_PORT"
  publish OIDC_ISSUER "$issuer"
  publish FULCIO_ROOT_FILE "$STATE_DIR/fulcio-root.pem"
}
ready_fulcio() {
  curl -sf -m 5 "http://127.0.0.1:$FULCIO_PORT/api/v1/rootCert" >"$STATE_DIR/fulcio-root.pem.tmp" &&
    grep -q 'BEGIN CERTIFICATE' "$STATE_DIR/fulcio-root.pem.tmp" && mv "$STATE_DIR/fulcio-root.pem.tmp" "$STATE_DIR/fulcio-root.pem"
}

# The stack's Sigstore trusted root (Fulcio's CA and Rekor's key), as
# `cosign trusted-root create` writes it: for cosign --trusted-root, and
# chainseal's signers.x509.fulcio.trusted-root and verify --trusted-root.
setup_trusted-root() {
  "$(bin cosign)/cosign" trusted-root create \
    --fulcio "url=$FULCIO_URL,certificate-chain=$FULCIO_ROOT_FILE" \
    --rekor "url=$REKOR_URL,public-key=$REKOR_PUBLIC_KEY_FILE,start-time=2020-01-01T00:00:00Z" \
    --out "$STATE_DIR/trusted_root.json"
  publish SIGSTORE_TRUSTED_ROOT_FILE "$STATE_DIR/trusted_root.json"
}

# ---------- Vault (dev server; its cluster address is the next port) ----------
start_vault() {
  local token; token=$(rand_secret)
  spawn vault "$(bin vault)/vault" server -dev -dev-listen-address="127.0.0.1:$VAULT_PORT" \
    -dev-root-token-id="$token" -dev-no-store-token -dev-plugin-dir="$(bin vault)/plugins"
  publish VAULT_ADDR "http://127.0.0.1:$VAULT_PORT"
  publish VAULT_TOKEN "$token"
  publish VAULT_KUBERNETES_AUTH_PATH kubernetes
}
ready_vault() { curl -sf -m 5 "http://127.0.0.1:$VAULT_PORT/v1/sys/health"; }

# The transit engine, and the kubernetes auth method checking
# ServiceAccount tokens with a TokenReview made with its own ServiceAccount.
setup_vault-config() {
  local vault; vault="$(bin vault)/vault"
  export VAULT_ADDR VAULT_TOKEN
  "$vault" secrets enable transit
  "$vault" auth enable kubernetes
  kc apply -f - <<EOF
apiVersion: v1
kind: ServiceAccount
metadata: {name: vault-token-reviewer, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: vault-token-reviewer}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:auth-delegator}
subjects: [{kind: ServiceAccount, name: vault-token-reviewer, namespace: kube-system}]
EOF
  local jwt; jwt=$(kc create token vault-token-reviewer -n kube-system --duration 24h)
  "$vault" write auth/kubernetes/config kubernetes_host="$KUBE_API_URL" \
    kubernetes_ca_cert=@"$CERTS/ca.crt" token_reviewer_jwt="$jwt" disable_local_ca_jwt=true
}

# ---------- the node: containerd + kubelet ----------
# containerd from Debian, private to this stack (its own root, state,
# socket, runc root), pulling from the stack registry over plain HTTP with
# its credentials. restrict_oom_score_adj: this sandbox has no
# CAP_SYS_RESOURCE, and runc fails on the -998 the CRI gives sandboxes.
start_containerd() {
  local run=$STATE_DIR/run
  mkdir -p "$run" "$DATA/containerd" "$STATE_DIR/cni"
  cat >"$STATE_DIR/containerd.toml" <<EOF
version = 2
root = "$DATA/containerd/root"
state = "$run/containerd"
disabled_plugins = ["io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = "$run/containerd.sock"
[ttrpc]
  address = "$run/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$DATA/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "127.0.0.1:$REGISTRY_PORT/stack/pause:$PAUSE_VERSION"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "$CONTAINERD_STREAM_PORT"
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$run/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE_DIR/cni"
  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."127.0.0.1:$REGISTRY_PORT"]
    endpoint = ["http://127.0.0.1:$REGISTRY_PORT"]
  [plugins."io.containerd.grpc.v1.cri".registry.configs."127.0.0.1:$REGISTRY_PORT".auth]
    username = "$REGISTRY_USERNAME"
    password = "$REGISTRY_PASSWORD"
EOF
  chmod 600 "$STATE_DIR/containerd.toml"
  # Pods use the host's network (Tekton's default pod template here); the
  # bridge network is there because a node without one is not Ready.
  cat >"$STATE_DIR/cni/10-stack.conflist" <<EOF
{"cniVersion": "0.4.0", "name": "stack", "plugins": [
  {"type": "bridge", "bridge": "stack0", "isGateway": true, "ipMasq": false,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.88.0.0/16"}]], "dataDir": "$DATA/cni-ipam"}}]}
EOF
  spawn containerd containerd --config "$STATE_DIR/containerd.toml"
  publish CONTAINERD_ADDRESS "$run/containerd.sock"
}
ready_containerd() { timeout 5 ctr --address "$STATE_DIR/run/containerd.sock" version; }

# kubelet: cgroupfs driver on cgroup v1 under a cgroup root of this stack's
# own (two stacks' kubelets would otherwise clean up each other's pods), node
# address $NODE_IP (kubelet refuses loopback), pod logs under the state
# directory. It sets kernel.panic, kernel.panic_on_oops, vm.overcommit_memory
# and vm.panic_on_oom as it always does; up records the values it found and
# down puts them back.
start_kubelet() {
  local kdir=$DATA/kubelet c cg
  mkdir -p "$kdir" "$DATA/pod-logs"
  # The kubelet's root directory as a shared mount point of its own, for
  # mount propagation, rather than making / shared.
  mountpoint -q "$kdir" || { mount --bind "$kdir" "$kdir" && mount --make-rshared "$kdir"; }
  for cg in $(stack_cgroups); do
    mkdir -p "$cg"
    # (A new cpuset cgroup has no CPUs and no memory nodes until given some.)
    if [ -f "$cg/cpuset.cpus" ] && [ -z "$(cat "$cg/cpuset.cpus")" ]; then
      cat "$(dirname "$cg")/cpuset.cpus" >"$cg/cpuset.cpus"
      cat "$(dirname "$cg")/cpuset.mems" >"$cg/cpuset.mems"
    fi
  done
  [ -f "$STATE_DIR/sysctl.orig" ] || for c in kernel.panic kernel.panic_on_oops vm.overcommit_memory vm.panic_on_oom; do
    echo "$c=$(sysctl -n "$c")"
  done >"$STATE_DIR/sysctl.orig"
  cat >"$STATE_DIR/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
cgroupRoot: $CGROUP_ROOT
cgroupsPerQOS: true
failCgroupV1: false
failSwapOn: false
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: $CERTS/kubelet.crt
tlsPrivateKeyFile: $CERTS/kubelet.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $CERTS/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$STATE_DIR/run/containerd.sock
# podLogsDir (not podLogsDirectory, which kubelet ignores): the default,
# /var/log/pods, is shared by every stack on the machine, and a kubelet
# removes the log directories of pods it does not know.
podLogsDir: $DATA/pod-logs
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
serializeImagePulls: false
imageGCHighThresholdPercent: 100
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, nodefs.inodesFree: 1%, imagefs.available: 1%}
makeIPTablesUtilChains: false
maxPods: 50
kubeAPIQPS: 50
kubeAPIBurst: 100
EOF
  spawn kubelet "$(bin kube)/kubelet" --config "$STATE_DIR/kubelet.yaml" \
    --kubeconfig "$STATE_DIR/kubelet.kubeconfig" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" \
    --root-dir "$kdir" --cert-dir "$kdir/pki" --v=0
  publish NODE_NAME "$NODE_NAME"
  publish NODE_IP "$NODE_IP"
}
ready_kubelet() { curl -sf -m 5 "http://127.0.0.1:$KUBELET_HEALTHZ_PORT/healthz"; }

# Ready, and schedulable: the not-ready taint is gone.
setup_node-ready() {
  local i
  for i in $(seq 1 600); do
    [ "$(kc get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}/{.spec.taints}' 2>/dev/null)" = True/ ] && return 0
    pid_alive "$(cat "$PIDS/kubelet.pid")" || die "kubelet exited"
    sleep 0.2
  done
  kc describe node "$NODE_NAME" || true
  die "node $NODE_NAME not Ready in 120s"
}

# ---------- Tekton Pipelines ----------
TEKTON_SYSTEM_NAMESPACE=tekton-pipelines
TEKTON_RESOLVERS_NAMESPACE=tekton-pipelines-resolvers
# The one namespace the stack's controller reconciles. Tests write runs with
# a hand-made status (as a finished run looks) in namespaces of their own; a
# cluster-wide controller would start running them, and spec.managedBy does
# not keep it away (Tekton v1.15.0 reconciles a PipelineRun managed by
# another controller when one of its TaskRuns changes). A test that needs
# runs in a namespace of its own starts a controller for it
# (test/stack/tekton-controller, stacktest.Env.TektonController).
TEKTON_NAMESPACE=tekton-runs
# The ConfigMaps the controller and the resolvers read (empty means
# defaults). Pods use the host's network, so steps reach the stack's
# services on 127.0.0.1; no affinity assistant (no StatefulSet controller).
setup_tekton-config() {
  kc apply -f - <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: $TEKTON_SYSTEM_NAMESPACE}
---
apiVersion: v1
kind: Namespace
metadata: {name: $TEKTON_RESOLVERS_NAMESPACE}
---
apiVersion: v1
kind: Namespace
metadata: {name: $TEKTON_NAMESPACE}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: config-defaults, namespace: $TEKTON_SYSTEM_NAMESPACE}
data:
  default-pod-template: |
    hostNetwork: true
---
apiVersion: v1
kind: ConfigMap
metadata: {name: feature-flags, namespace: $TEKTON_SYSTEM_NAMESPACE}
data:
  running-in-environment-with-injected-sidecars: "false"
  enable-step-actions: "true"
  coschedule: disabled
---
apiVersion: v1
kind: ConfigMap
metadata: {name: config-observability, namespace: $TEKTON_SYSTEM_NAMESPACE}
data: {metrics-protocol: none, tracing-protocol: none}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: config-observability, namespace: $TEKTON_RESOLVERS_NAMESPACE}
data: {metrics-protocol: none, tracing-protocol: none}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: bundleresolver-config, namespace: $TEKTON_RESOLVERS_NAMESPACE}
data: {default-service-account: default, default-kind: task}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cluster-resolver-config, namespace: $TEKTON_RESOLVERS_NAMESPACE}
data: {default-kind: task}
---
# What the resolvers' readiness check resolves.
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: stack-probe, namespace: $TEKTON_RESOLVERS_NAMESPACE}
spec:
  steps: [{name: probe, image: stack-probe, script: "true"}]
EOF
  local cm
  for cm in config-spire config-events config-tracing config-wait-exponential-backoff config-logging \
            config-leader-election-controller config-registry-cert; do
    kc create configmap "$cm" -n "$TEKTON_SYSTEM_NAMESPACE"
  done
  for cm in git-resolver-config hubresolver-config http-resolver-config resolvers-feature-flags \
            resolver-cache-config config-logging config-leader-election-resolvers; do
    kc create configmap "$cm" -n "$TEKTON_RESOLVERS_NAMESPACE"
  done
  publish TEKTON_NAMESPACE "$TEKTON_NAMESPACE"
  publish TEKTON_SYSTEM_NAMESPACE "$TEKTON_SYSTEM_NAMESPACE"
  publish TEKTON_VERSION "$TEKTON_VERSION"
}

# The controller runs as a process with the stack's admin kubeconfig (no
# webhook: see setup_crds), for $TEKTON_NAMESPACE. Registry credentials
# come from DOCKER_CONFIG, as from a node's; a namespace's image pull
# secrets work too.
# tekton_controller NAMESPACE PROBES_PORT PROFILING_PORT: sets TEKTON_CONTROLLER
# to the command (env, program, flags) of a controller reconciling NAMESPACE.
# (test/stack/tekton-controller starts more, one per namespace.)
tekton_controller() {
  TEKTON_CONTROLLER=(env SYSTEM_NAMESPACE="$TEKTON_SYSTEM_NAMESPACE" KUBERNETES_MIN_VERSION=v1.28.0
    PROBES_PORT="$2" PROFILING_PORT="$3" METRICS_DOMAIN=tekton.dev/pipeline
    CONFIG_DEFAULTS_NAME=config-defaults CONFIG_LOGGING_NAME=config-logging
    CONFIG_OBSERVABILITY_NAME=config-observability CONFIG_FEATURE_FLAGS_NAME=feature-flags
    CONFIG_LEADERELECTION_NAME=config-leader-election-controller CONFIG_SPIRE=config-spire
    DOCKER_CONFIG="$STATE_DIR/docker"
    "$(bin tekton)/controller" -kubeconfig "$STATE_DIR/kubeconfig" -disable-ha -namespace "$1"
    -entrypoint-image "$TEKTON_ENTRYPOINT_IMAGE" -nop-image "$TEKTON_NOP_IMAGE"
    -sidecarlogresults-image "$TEKTON_SIDECARLOGRESULTS_IMAGE" -workingdirinit-image "$TEKTON_WORKINGDIRINIT_IMAGE"
    -shell-image "$TEKTON_SHELL_IMAGE" -shell-image-win none)
}
start_tekton-controller() {
  tekton_controller "$TEKTON_NAMESPACE" "$TEKTON_PROBES_PORT" "$TEKTON_PROFILING_PORT"
  spawn tekton-controller "${TEKTON_CONTROLLER[@]}"
}
# Ready when it reconciles: a PipelineRun created cancelled is marked so
# (no pod, no resolution).
ready_tekton-controller() { tekton_reconciles "$TEKTON_NAMESPACE"; }
# tekton_reconciles NAMESPACE: a controller reconciles NAMESPACE.
tekton_reconciles() {
  kc get pipelinerun stack-probe -n "$1" >/dev/null 2>&1 || kc create -f - >/dev/null <<EOF
apiVersion: tekton.dev/v1
kind: PipelineRun
metadata: {name: stack-probe, namespace: $1}
spec:
  status: Cancelled
  pipelineSpec:
    tasks:
    - name: probe
      taskSpec:
        steps: [{name: probe, image: $TEKTON_SHELL_IMAGE, script: "true"}]
EOF
  [ "$(kc get pipelinerun stack-probe -n "$1" -o jsonpath='{.status.conditions[?(@.type=="Succeeded")].reason}')" = Cancelled ] &&
    kc delete pipelinerun stack-probe -n "$1" --wait=false
}

start_tekton-resolvers() {
  spawn tekton-resolvers env SYSTEM_NAMESPACE="$TEKTON_RESOLVERS_NAMESPACE" KUBERNETES_MIN_VERSION=v1.28.0 \
    PROBES_PORT="$RESOLVERS_PROBES_PORT" PROFILING_PORT="$RESOLVERS_PROFILING_PORT" METRICS_DOMAIN=tekton.dev/resolution \
    CONFIG_LOGGING_NAME=config-logging CONFIG_OBSERVABILITY_NAME=config-observability \
    CONFIG_LEADERELECTION_NAME=config-leader-election-resolvers \
    KUBECONFIG="$STATE_DIR/kubeconfig" DOCKER_CONFIG="$STATE_DIR/docker" \
    "$(bin tekton)/resolvers"
}
# Ready when it resolves: the cluster resolver writes a Task's data into a
# ResolutionRequest. (The controller of the namespace the request is in then
# marks it Succeeded; none reconciles the resolvers' own namespace.)
ready_tekton-resolvers() {
  local ns=$TEKTON_RESOLVERS_NAMESPACE st
  kc get resolutionrequest stack-probe -n "$ns" >/dev/null 2>&1 || kc create -f - >/dev/null <<EOF
apiVersion: resolution.tekton.dev/v1beta1
kind: ResolutionRequest
metadata:
  name: stack-probe
  namespace: $ns
  labels: {resolution.tekton.dev/type: cluster}
spec:
  params:
  - {name: kind, value: task}
  - {name: name, value: stack-probe}
  - {name: namespace, value: $ns}
EOF
  st=$(kc get resolutionrequest stack-probe -n "$ns" -o jsonpath='{.status.conditions[?(@.type=="Succeeded")].status}/{.status.refSource.uri}')
  # (At their start the resolvers all try every request; another one may fail it.)
  [[ $st != False/* ]] || kc delete resolutionrequest stack-probe -n "$ns" >/dev/null
  [[ $st == */apis/tekton.dev/v1/namespaces/$ns/task/stack-probe@* ]] && kc delete resolutionrequest stack-probe -n "$ns" --wait=false
}

# ---------- storage backends ----------
# fake-gcs-server: the GCS JSON API in memory (storage backend gcs). Clients
# reach it with STORAGE_EMULATOR_HOST=$GCS_EMULATOR_HOST (no scheme).
start_fakegcs() {
  spawn fakegcs "$(bin fakegcs)/fake-gcs-server" -scheme http -host 127.0.0.1 -port "$GCS_PORT" \
    -backend memory -public-host "127.0.0.1:$GCS_PORT" -external-url "http://127.0.0.1:$GCS_PORT" -log-level warn
  publish GCS_EMULATOR_HOST "127.0.0.1:$GCS_PORT"
}
ready_fakegcs() { curl -sf -m 5 "http://127.0.0.1:$GCS_PORT/storage/v1/b" >/dev/null; }

# FerretDB: the MongoDB wire protocol over SQLite (storage backend docdb),
# no authentication. Its debug server takes the next port.
start_ferretdb() {
  mkdir -p "$DATA/ferretdb"
  spawn ferretdb "$(bin ferretdb)/ferretdb" --handler=sqlite --sqlite-url="file:$DATA/ferretdb/" \
    --state-dir="$DATA/ferretdb" --listen-addr="127.0.0.1:$FERRETDB_PORT" \
    --debug-addr="127.0.0.1:$((FERRETDB_PORT + 1))" --telemetry=disable --log-level=WARN
  publish DOCDB_MONGO_URL "mongodb://127.0.0.1:$FERRETDB_PORT/"
}
ready_ferretdb() { tcp_open 127.0.0.1 "$FERRETDB_PORT"; }

# Grafeas v1 over gRPC, in memory (storage backend grafeas): clients set
# storage.grafeas.endpoint=$GRAFEAS_ENDPOINT (plain gRPC: loopback).
start_grafeas() {
  spawn grafeas "$(bin grafeas)/grafeas-server" -listen "127.0.0.1:$GRAFEAS_PORT"
  publish GRAFEAS_ENDPOINT "127.0.0.1:$GRAFEAS_PORT"
}
ready_grafeas() { tcp_open 127.0.0.1 "$GRAFEAS_PORT"; }

# ---------- on-demand services (started by the tests that need them) ----------
# in-toto Archivista (storage backend archivista) on a database of its own in
# the stack's MariaDB, whose schema it creates at start (ent's migration; its
# atlas migration files conflict with that on MariaDB); envelopes kept as
# files in $DATA/archivista, whose own file server takes the next port. A
# start begins from an empty database. It does not exit on SIGTERM (it waits
# for that file server, which never stops): down kills it.
start_archivista() {
  local password; password=$(rand_secret)
  mariadb --no-defaults --socket="$DATA/mysql/mysql.sock" -uroot <<EOSQL
DROP DATABASE IF EXISTS archivista;
CREATE DATABASE archivista;
CREATE USER IF NOT EXISTS 'archivista'@'127.0.0.1';
ALTER USER 'archivista'@'127.0.0.1' IDENTIFIED BY '$password';
GRANT ALL ON archivista.* TO 'archivista'@'127.0.0.1';
EOSQL
  rm -rf "$DATA/archivista" && mkdir -p "$DATA/archivista"
  spawn archivista env ARCHIVISTA_LISTEN_ON="tcp://127.0.0.1:$ARCHIVISTA_PORT" \
    ARCHIVISTA_SQL_STORE_BACKEND=MYSQL \
    ARCHIVISTA_SQL_STORE_CONNECTION_STRING="archivista:$password@tcp(127.0.0.1:$MYSQL_PORT)/archivista" \
    ARCHIVISTA_STORAGE_BACKEND=FILE ARCHIVISTA_FILE_DIR="$DATA/archivista/" \
    ARCHIVISTA_FILE_SERVE_ON="127.0.0.1:$((ARCHIVISTA_PORT + 1))" \
    ARCHIVISTA_ENABLE_SPIFFE=false ARCHIVISTA_GRAPHQL_WEB_CLIENT_ENABLE=false ARCHIVISTA_LOG_LEVEL=WARN \
    "$(bin archivista)/archivista"
  publish ARCHIVISTA_URL "http://127.0.0.1:$ARCHIVISTA_PORT"
}
ready_archivista() {
  curl -sf -m 5 -o /dev/null -H 'Content-Type: application/json' \
    -d '{"query":"{ dsses(first: 1) { totalCount } }"}' "http://127.0.0.1:$ARCHIVISTA_PORT/query"
}

# The Kafka test double (storage backend kafka; not Apache Kafka: franz-go's
# kfake, in memory), with the topic `chains`; other topics are refused.
start_kafkadouble() {
  spawn kafkadouble "$(bin kafkadouble)/kafka-double" -port "$KAFKA_DOUBLE_PORT" -topics chains
  publish KAFKA_DOUBLE_BOOTSTRAP "127.0.0.1:$KAFKA_DOUBLE_PORT"
}
ready_kafkadouble() { tcp_open 127.0.0.1 "$KAFKA_DOUBLE_PORT"; }
