# Shared helpers for test/stack scripts. Sourced, not run.
set -euo pipefail
STACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$STACK_DIR/../.." && pwd)
. "$STACK_DIR/versions.sh"
# Built tools live outside the tracked tree and survive between runs.
CACHE_DIR=${CHAINSEAL_CACHE:-$HOME/.cache/chainseal}
BIN_CACHE=$CACHE_DIR/bin
# Everything a running stack writes (data, logs, pids, env) lives here.
STATE_DIR=${CHAINSEAL_STACK_STATE:-$REPO_DIR/.stack}
export GOFLAGS=${GOFLAGS:--buildvcs=false}
export GOTOOLCHAIN=local

log() { printf '%s stack: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'stack: error: %s\n' "$*" >&2; exit 1; }

# pid_alive PID: the process exists and is not a zombie. (Where PID 1 is
# slow to reap, a stopped process lingers as a zombie that kill -0 still
# finds.)
pid_alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat:0:1}" != Z ]
}
