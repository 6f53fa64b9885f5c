# Sourced by deploy/local/*: where the local stack keeps its data, run dir and pid files, and the helpers to start,
# find and stop its processes.
# shellcheck shell=bash disable=SC2034  # its settings are used by the scripts that source it
source "$(dirname "${BASH_SOURCE[0]}")/../bin/_common.sh"

LOCAL_DIR="$REPO_ROOT/deploy/local"
# Everything the stack writes (gitignored): Kafka's data (kept between runs), the run dir, pid files.
STACK_DATA="${STREAMINFER_LOCAL_DATA:-$LOCAL_DIR/.data}"
KAFKA_DATA="$STACK_DATA/kafka"
PID_DIR="$STACK_DATA/pids"
# The current run: logs of each component, rendered configs, checkpoints. The previous one is kept as run.prev.
RUN_DIR="${STREAMINFER_RUN_DIR:-$STACK_DATA/run}"

KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT=9093
FLINK_PORT=8081
BRIDGE_PORT=8080
KAFKA_BOOTSTRAP="localhost:$KAFKA_PORT"

# What a process of the stack has in its command line; a pid file whose process lacks it is stale (the pid was
# reused) and that process is never signalled.
declare -A PROC_MARKER=(
  [kafka]="kafka.Kafka"
  [job]="io.streaminfer.job.InferenceJob|deploy/bin/run-job"
  [bridge]="io.streaminfer.bridge.BridgeMain"
  [up]="(^|[/ ])up( |$)"
)

die() { log "error: $*"; exit 1; }

# ------------------------------------------------------------------------------------------------ processes

pid_file() { echo "$PID_DIR/$1.pid"; }

# The pid of a running component of the stack, or nothing (and status 1).
running_pid() {
  local name="$1" f pid cmd
  f=$(pid_file "$name")
  [[ -s "$f" ]] || return 1
  pid=$(<"$f")
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ "$cmd" =~ ${PROC_MARKER[$name]} ]] || return 1
  echo "$pid"
}

# Starts a command in its own session (so a Ctrl-C in the terminal reaches only deploy/local/up, which stops the
# components in order), output to a log file, and records its pid.
#   spawn NAME LOGFILE COMMAND...
spawn() {
  local name="$1" logfile="$2"; shift 2
  mkdir -p "$PID_DIR" "$(dirname "$logfile")"
  setsid "$@" >>"$logfile" 2>&1 </dev/null &
  echo $! >"$(pid_file "$name")"
}

# Polls COMMAND every INTERVAL seconds until it succeeds (0) or SECONDS pass (1). With --watch NAME, the wait ends
# at once (2) when that component of the stack, which must stay alive meanwhile, has died.
#   wait_until [--watch NAME] SECONDS INTERVAL COMMAND...
wait_until() {
  local watch=""
  if [[ "$1" == --watch ]]; then watch="$2"; shift 2; fi
  local seconds="$1" interval="$2"; shift 2
  local deadline=$((SECONDS + seconds))
  while true; do
    if "$@"; then return 0; fi
    if [[ -n "$watch" ]] && ! running_pid "$watch" >/dev/null; then return 2; fi
    if ((SECONDS >= deadline)); then return 1; fi
    sleep "$interval"
  done
}

# Stops a component: TERM, then KILL after TIMEOUT seconds. Quiet when it is not running.
#   stop_component NAME TIMEOUT [LABEL]
stop_component() {
  local name="$1" timeout="$2" label="${3:-$1}" pid
  if ! pid=$(running_pid "$name"); then
    rm -f "$(pid_file "$name")"
    return 0
  fi
  log "stopping the $label (pid $pid)"
  # spawn made it the leader of its own process group: signal the group, so nothing it started stays behind.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  if ! wait_until "$timeout" 0.2 pid_gone "$pid"; then
    log "the $label did not stop within $timeout s; killing it"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    wait_until 10 0.2 pid_gone "$pid" || log "warning: pid $pid survived SIGKILL"
  fi
  rm -f "$(pid_file "$name")"
}

pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# ------------------------------------------------------------------------------------------------ ports

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

port_busy() {
  if command -v ss >/dev/null; then
    [[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]]
  else
    port_open "$1"
  fi
}

# Who listens on a port, as "pid N: command line" when ss can tell.
port_owner() {
  local pid
  command -v ss >/dev/null || return 0
  pid=$(ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
  [[ -n "$pid" ]] || return 0
  echo "pid $pid: $(ps -o args= -p "$pid" 2>/dev/null | cut -c1-160)"
}

# Fails with what to do when PORT is taken.
#   require_free_port PORT WHAT
require_free_port() {
  local port="$1" what="$2" owner
  if port_busy "$port"; then
    owner=$(port_owner "$port")
    die "port $port ($what) is already in use${owner:+ by $owner}.
  Stop that process, or if it is a stack left from an earlier run: deploy/local/down"
  fi
}

# ------------------------------------------------------------------------------------------------ files

# Writes TEMPLATE to OUT with ${REPO_ROOT} and ${RUN_DIR} replaced (no other substitution).
render() {
  local template="$1" out="$2"
  sed -e "/^[[:space:]]*#/!s|\${REPO_ROOT}|$REPO_ROOT|g" -e "/^[[:space:]]*#/!s|\${RUN_DIR}|$RUN_DIR|g" "$template" >"$out"
}

# The last lines of a log, indented, to show why a component failed.
show_log_tail() {
  local file="$1" n="${2:-25}"
  [[ -s "$file" ]] || return 0
  echo "--- last $n lines of $file:" >&2
  tail -n "$n" "$file" | sed 's/^/    /' >&2
}

rel() { echo "${1#"$REPO_ROOT"/}"; }
