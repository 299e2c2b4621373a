# Versions of every component the test stack builds. Cached binaries are keyed
# by these, so changing one here rebuilds exactly that component.
KUBE_VERSION=v1.33.13
ETCD_VERSION=v3.5.21
VAULT_VERSION=v1.19.5
REKOR_VERSION=v1.5.4
TRILLIAN_VERSION=v1.7.3
COSIGN_VERSION=v2.6.5
GGCR_VERSION=v0.22.1
TEKTON_VERSION=v1.15.0
KO_VERSION=v0.19.1
TKN_VERSION=v0.46.0
APT_PACKAGES="curl docker-registry mariadb-server redis-server openssl gnupg ca-certificates apache2-utils iproute2 psmisc"
