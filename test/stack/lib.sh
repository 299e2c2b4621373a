# Shared helpers for test/stack scripts (and test/bench/run). Sourced, not run.
set -euo pipefail
shopt -s inherit_errexit
STACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$STACK_DIR/../.." && pwd)
# Built tools live outside the tracked tree and survive between runs.
CACHE_DIR=${CHAINSEAL_CACHE:-$HOME/.cache/chainseal}
BIN_CACHE=$CACHE_DIR/bin
# Everything a running stack writes (data, logs, pids, env) lives here.
STATE_DIR=${CHAINSEAL_STACK_STATE:-$REPO_DIR/.stack}
export GOFLAGS=${GOFLAGS:--buildvcs=false}
export GOTOOLCHAIN=local
# The checksum database does not serve github.com/tektoncd modules.
case ",${GONOSUMDB:-}," in *,github.com/tektoncd,*) ;; *) export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/tektoncd" ;; esac

LOG_PREFIX=${LOG_PREFIX:-stack}
log() { printf '%s %s: %s\n' "$(date +%H:%M:%S)" "$LOG_PREFIX" "$*" >&2; }
die() { printf '%s: error: %s\n' "$LOG_PREFIX" "$*" >&2; exit 1; }

# pid_alive PID: the process exists and is not a zombie. (Where PID 1 is
# slow to reap, a stopped process lingers as a zombie that kill -0 still
# finds.)
pid_alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat:0:1}" != Z ]
}

# ---------- the component table (components.sh) ----------
BUILDS=() UNITS=()
declare -A BUILD_VERSION=() BUILD_FILES=() BUILD_AFTER=() BUILD_FOR=()
declare -A UNIT_KIND=() UNIT_NEEDS=() UNIT_PORTS=() UNIT_STOP=() UNIT_ONDEMAND=()
dash() { [ "$1" = - ] && echo "" || echo "$1"; }
# build NAME VERSION FILES AFTER FOR: one row of the builds table. Also sets
# <NAME>_VERSION (e.g. KUBE_VERSION) for scripts that report versions.
build() {
  BUILDS+=("$1")
  BUILD_VERSION[$1]=$2 BUILD_FILES[$1]=$(dash "$3") BUILD_AFTER[$1]=$(dash "$4") BUILD_FOR[$1]=$5
  [ "$2" = - ] || printf -v "${1^^}_VERSION" '%s' "$2"
}
# service NAME NEEDS PORTS STOP / step NAME NEEDS PORTS: rows of the services table.
service() { UNITS+=("$1"); UNIT_KIND[$1]=service UNIT_NEEDS[$1]=$(dash "$2") UNIT_PORTS[$1]=$(dash "$3") UNIT_STOP[$1]=$4; }
step() { UNITS+=("$1"); UNIT_KIND[$1]=step UNIT_NEEDS[$1]=$(dash "$2") UNIT_PORTS[$1]=$(dash "$3"); }
# ondemand NAME NEEDS PORTS STOP: a service that up does not start; a test
# that needs it starts it with `test/stack/up --start NAME` (stacktest's
# Env.Start), once, into the running stack. down stops it as any service.
ondemand() { service "$@"; UNIT_ONDEMAND[$1]=1; }
. "$STACK_DIR/components.sh"

# bin NAME: the cache directory of build NAME at its version.
bin() { echo "$BIN_CACHE/$1-${BUILD_VERSION[$1]}"; }

# is_cached NAME: every file of build NAME is in its cache directory.
is_cached() {
  local f d; d=$(bin "$1")
  [ "$1" != apt ] || { apt_missing >/dev/null; return; }
  for f in ${BUILD_FILES[$1]}; do [ -e "$d/$f" ] || return 1; done
}
# apt_missing: prints the Debian packages not installed; false when some are.
apt_missing() {
  local installed p missing=()
  installed=" $(dpkg-query -W -f='${Package} ${Status}\n' $APT_PACKAGES 2>/dev/null | awk '/ ok installed$/ { printf "%s ", $1 }') "
  for p in $APT_PACKAGES; do
    [[ $installed == *" $p "* ]] || missing+=("$p")
  done
  echo "${missing[*]}"
  [ ${#missing[@]} -eq 0 ]
}

# ---------- the stack's network namespace ----------
# One per state directory, so a second stack (a test's private one) gets its
# own. Everything up starts runs inside it; nothing in it is reachable from
# outside. NODE_IP is the node's address (kubelet refuses loopback);
# CLUSTER_IP is the `kubernetes` Service's, forwarded to the API server.
NETNS_NAME=chainseal-$(printf '%s' "$STATE_DIR" | sha256sum | cut -c1-10)
NETNS_PATH=/var/run/netns/$NETNS_NAME
NODE_IP=10.250.0.1
CLUSTER_IP=10.0.0.1
SERVICE_CIDR=10.0.0.0/24
NODE_NAME=chainseal-node
# The node's cgroups (cgroupfs driver) live under this root, per stack.
CGROUP_ROOT=/$NETNS_NAME

# stack_cgroups: the node's cgroup root in each cgroup hierarchy (cgroup
# v1: one per mounted hierarchy; v2: one).
stack_cgroups() {
  if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then echo "/sys/fs/cgroup$CGROUP_ROOT"; return; fi
  local sub
  for sub in /sys/fs/cgroup/*/; do
    [ ! -L "${sub%/}" ] && mountpoint -q "$sub" || continue
    echo "$sub${CGROUP_ROOT#/}"
  done
}

# in_netns CMD...: runs CMD inside the stack's network namespace. nsenter
# --net, not `ip netns exec`: that also makes a mount namespace and remounts
# /sys, which hides the cgroup mounts from kubelet.
in_netns() { nsenter --net="$NETNS_PATH" -- "$@"; }

# mounts_under DIR...: mount points at or below DIR, deepest first.
mounts_under() {
  local d
  for d in "$@"; do
    [ -e "$d" ] || continue
    d=$(realpath "$d")
    awk -v d="$d" '{ gsub(/\\040/, " ", $5); if ($5 == d || index($5, d "/") == 1) print $5 }' /proc/self/mountinfo
  done | awk '{ print length($0) " " $0 }' | sort -rn | cut -d' ' -f2- | uniq
}

# ---------- running a dependency graph ----------
# run_graph JOBS RUNNER NEEDS_ARRAY NAME...: runs `RUNNER NAME` in the
# background for each NAME, in the order given, once every name it needs
# (from the associative array named NEEDS_ARRAY, among the NAMEs given) has
# succeeded; at most JOBS at a time (0: no limit). When one fails, no more
# start. After the running ones end, GRAPH_FAILED lists the failed names.
# Call it as a plain command, never in a condition (`if`, `||`, `!`): bash
# then turns errexit off in the runners, and a failing command inside them
# would go unnoticed.
run_graph() {
  local jobs=$1 runner=$2; local -n needs_of=$3; shift 3
  local -a pending=("$@") next
  local -A state=() by_pid=()
  local n d ok running=0 pid rc
  for n in "$@"; do state[$n]=pending; done
  GRAPH_FAILED=
  while :; do
    next=()
    for n in "${pending[@]}"; do
      ok=1
      for d in ${needs_of[$n]:-}; do
        case ${state[$d]:-absent} in done|absent) ;; *) ok=0; break ;; esac
      done
      if [ -z "$GRAPH_FAILED" ] && [ $ok = 1 ] && { [ "$jobs" = 0 ] || [ $running -lt "$jobs" ]; }; then
        "$runner" "$n" &
        by_pid[$!]=$n state[$n]=running running=$((running + 1))
      else
        next+=("$n")
      fi
    done
    pending=("${next[@]}")
    if [ $running -eq 0 ]; then
      [ ${#pending[@]} -eq 0 ] || [ -n "$GRAPH_FAILED" ] || die "cannot order: ${pending[*]}"
      break
    fi
    rc=0
    wait -n -p pid "${!by_pid[@]}" || rc=$?
    n=${by_pid[$pid]}
    unset "by_pid[$pid]"
    running=$((running - 1))
    if [ $rc -eq 0 ]; then state[$n]=done; else state[$n]=failed GRAPH_FAILED+="$n "; fi
  done
}
