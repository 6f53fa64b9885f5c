# Sourced by deploy/local/*: where the local stack keeps its data, run dir and pid files, its ports, and the helpers
# to start, find, supervise and stop its processes.
# shellcheck shell=bash disable=SC2034  # its settings are used by the scripts that source it
source "$(dirname "${BASH_SOURCE[0]}")/../bin/_common.sh"

LOCAL_DIR="$REPO_ROOT/deploy/local"
# Everything the stack writes (gitignored): Kafka's data and the job's saved state (both kept between runs), the run
# dir, pid files. Another STREAMINFER_LOCAL_DATA (and other ports) gives a second stack beside the first (tests).
STACK_DATA="${STREAMINFER_LOCAL_DATA:-$LOCAL_DIR/.data}"
KAFKA_DATA="$STACK_DATA/kafka"
PID_DIR="$STACK_DATA/pids"
# The job's savepoints (one per clean stop) and the checkpoints Flink retains when the job is cancelled or its
# cluster is killed: what the next deploy/local/up resumes from. Kept between runs; up --fresh discards them.
FLINK_STATE="$STACK_DATA/flink"
SAVEPOINT_DIR="$FLINK_STATE/savepoints"
CHECKPOINT_DIR="$FLINK_STATE/checkpoints"
# The current run: logs of each component, rendered configs, the Flink cluster's dir. The previous one is kept as
# run.prev.
RUN_DIR="${STREAMINFER_RUN_DIR:-$STACK_DATA/run}"

KAFKA_PORT="${STREAMINFER_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${STREAMINFER_KAFKA_CONTROLLER_PORT:-9093}"
FLINK_PORT="${STREAMINFER_FLINK_PORT:-8081}"
FLINK_RPC_PORT="${STREAMINFER_FLINK_RPC_PORT:-6123}"
BRIDGE_PORT="${STREAMINFER_BRIDGE_PORT:-8080}"
BRIDGE_GRPC_PORT="${STREAMINFER_BRIDGE_GRPC_PORT:-8001}"
KAFKA_BOOTSTRAP="localhost:$KAFKA_PORT"
FLINK_URL="http://localhost:$FLINK_PORT"
BRIDGE_URL="http://localhost:$BRIDGE_PORT"

# Time budgets (seconds) of the parts that deploy/local/up and down wait for.
SAVEPOINT_TIMEOUT="${STREAMINFER_SAVEPOINT_TIMEOUT:-120}"
# Savepoints kept besides the newest (older ones are deleted after each clean stop).
SAVEPOINTS_KEPT=3

# What a process of the stack has in its command line; a pid file whose process lacks it is stale (the pid was
# reused) and that process is never signalled.
declare -A PROC_MARKER=(
  [kafka]="kafka.Kafka"
  [job]="io.streaminfer.job.InferenceJob|deploy/bin/run-job"
  [bridge]="io.streaminfer.bridge.BridgeMain"
  [prometheus]="(^|/)prometheus --config.file="
  [zipkin]="zipkin-server-.*-exec.jar"
  [up]="(^|[/ ])up( |$)"
)

# With the time of day: a start that takes minutes on a busy machine shows where they went.
log() { echo "[$(basename "$0") $(date +%T)] $*" >&2; }
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
  disown $!   # supervised by pid file: no "Killed" job report from bash when it dies
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
#   require_free_port PORT WHAT ENV_VAR
require_free_port() {
  local port="$1" what="$2" var="${3:-}" owner
  if port_busy "$port"; then
    owner=$(port_owner "$port")
    die "port $port ($what) is already in use${owner:+ by $owner}.
  Stop that process, or if it is a stack left from an earlier run: deploy/local/down${var:+
  (or run this stack on another port: $var=...)}"
  fi
}

# ------------------------------------------------------------------------------------------------ files

# Writes TEMPLATE to OUT with ${REPO_ROOT}, ${RUN_DIR}, ${STACK_DATA}, ${KAFKA_BOOTSTRAP}, ${FLINK_PORT},
# ${BRIDGE_PORT} and ${BRIDGE_GRPC_PORT} replaced on lines that are not comments (no other substitution).
render() {
  local template="$1" out="$2" expr=() v
  for v in REPO_ROOT RUN_DIR STACK_DATA KAFKA_BOOTSTRAP FLINK_PORT BRIDGE_PORT BRIDGE_GRPC_PORT; do
    expr+=(-e "/^[[:space:]]*#/!s|\${$v}|${!v}|g")
  done
  sed "${expr[@]}" "$template" >"$out"
}

# The last lines of a log, indented, to show why a component failed.
show_log_tail() {
  local file="$1" n="${2:-25}"
  [[ -s "$file" ]] || return 0
  echo "--- last $n lines of $file:" >&2
  tail -n "$n" "$file" | sed 's/^/    /' >&2
}

rel() { echo "${1#"$REPO_ROOT"/}"; }

# The local path of a snapshot pointer as Flink prints them (file:/x, file:///x/).
pointer_path() {
  local p="${1#file:}"
  while [[ "$p" == //* ]]; do p="${p#/}"; done
  echo "${p%/}"
}

# ------------------------------------------------------------------------------------------------ the job

# deploy/submit's tool without deploy/submit's build check: stopping must never start a build. Its stderr (progress)
# goes to the run dir's submit.log; stdout is the result.
submit_tool() {
  mkdir -p "$RUN_DIR"
  (run_tool io.streaminfer.job.tools.SubmitCommand --rest "$FLINK_URL" "$@") 2>>"$RUN_DIR/submit.log"
}

# The job's entry of /jobs/overview, one line (the only job when ID is empty).
job_overview() {
  local id="$1" json
  json=$(curl -fsS --max-time 5 "$FLINK_URL/jobs/overview" 2>/dev/null) || return 1
  json=$(sed 's/},{"jid"/}\n{"jid"/g' <<<"$json")
  if [[ -n "$id" ]]; then grep -F "\"jid\":\"$id\"" <<<"$json"; else head -1 <<<"$json" | grep -F '"jid"'; fi
}

json_field() { grep -o "\"$1\":[^,}]*" | head -1 | cut -d: -f2 | tr -d '"'; }

# "RUNNING, 2 of 3 tasks running" from a /jobs/overview line.
job_summary() {
  local tasks
  tasks=$(grep -o '"tasks":{[^}]*}' <<<"$1")
  echo "$(json_field state <<<"$1"), $(json_field running <<<"$tasks") of $(json_field total <<<"$tasks") tasks running"
}

job_state() {
  local line
  line=$(job_overview "$1") || return 1
  json_field state <<<"$line"
}

job_in_state() { [[ "$(job_state "$1")" =~ ^($2)$ ]]; }

# Running with every task running: a savepoint can be taken.
job_all_running() {
  local line running total
  line=$(job_overview "$1") || return 1
  running=$(grep -o '"tasks":{[^}]*}' <<<"$line" | json_field running)
  total=$(grep -o '"tasks":{[^}]*}' <<<"$line" | json_field total)
  [[ "$(json_field state <<<"$line")" == RUNNING && -n "$total" && "$running" == "$total" ]]
}

# Stops job ID with a savepoint into $SAVEPOINT_DIR, which the next deploy/local/up resumes from; when no savepoint
# can be taken (the job is not running, or the savepoint fails within its budget) it cancels the job instead, whose
# latest checkpoint Flink then retains (RETAIN_ON_CANCELLATION in job.yaml) for the next up to resume from.
stop_job() {
  local id="$1" sp marker
  [[ -n "$id" ]] && port_open "$FLINK_PORT" || return 0
  if job_in_state "$id" 'FINISHED|CANCELED|FAILED'; then return 0; fi
  if job_all_running "$id"; then
    log "stopping job ${id:0:8}… with a savepoint (budget $SAVEPOINT_TIMEOUT s; the next deploy/local/up resumes from it)"
    marker="$RUN_DIR/.savepoint-requested"
    touch "$marker"
    if sp=$(submit_tool --stop "$id" --savepoint-dir "file://$SAVEPOINT_DIR" --timeout "$SAVEPOINT_TIMEOUT"); then
      log "savepoint written: $(rel "$(pointer_path "$sp")")"
      prune_snapshots
      return 0
    fi
    # A MiniCluster ends with its job: its REST API can be gone before the savepoint's completion is read back.
    # Flink writes a savepoint's _metadata last, so a new one is a complete savepoint.
    sp=$(find "$SAVEPOINT_DIR" -mindepth 2 -maxdepth 2 -name _metadata -newer "$marker" 2>/dev/null | head -1)
    if [[ -n "$sp" ]]; then
      log "savepoint written: $(rel "$(dirname "$sp")") (the job ended before its completion could be read back)"
      prune_snapshots
      return 0
    fi
    log "the savepoint failed: $(grep '^\[submit\]' "$RUN_DIR/submit.log" | tail -1 | cut -c1-300)"
  else
    log "job ${id:0:8}… is $(job_state "$id" || echo unknown), not running with all its tasks: no savepoint"
  fi
  log "cancelling job ${id:0:8}…; the next deploy/local/up resumes from its latest retained checkpoint"
  submit_tool --cancel "$id" --timeout 60 >/dev/null ||
    log "the job did not report CANCELED; the cluster stops all the same"
}

# After a clean stop the newest savepoint holds everything: the retained checkpoints (of earlier runs that crashed
# or were cancelled) are older, and only the newest few savepoints are kept.
prune_snapshots() {
  local old
  rm -rf "${CHECKPOINT_DIR:?}"/*
  mapfile -t old < <(ls -1dt "$SAVEPOINT_DIR"/savepoint-* 2>/dev/null | tail -n +$((SAVEPOINTS_KEPT + 1)))
  ((${#old[@]} == 0)) || rm -rf "${old[@]}"
}

# ------------------------------------------------------------------------------------------------ leftovers

# True while any process of the Flink cluster in DIR runs (deploy/cluster/stop checks each one's command line).
cluster_alive() {
  local f
  for f in "$1"/*.pid; do
    [[ -e "$f" ]] && kill -0 "$(cat "$f")" 2>/dev/null && return 0
  done
  return 1
}

# Stops what an earlier stack left running: a deploy/local/up that still runs (as Ctrl-C would), else its parts one by
# one — the bridge, the job (with a savepoint), the Flink cluster, Prometheus, and Kafka unless KEEP_KAFKA is set.
# Says what it stopped; returns 1 when nothing was running.
#   stop_leftovers [KEEP_KAFKA]
stop_leftovers() {
  local keep_kafka="${1:-}" stopped=false pid cluster_dir id
  if pid=$(running_pid up); then
    log "stopping deploy/local/up (pid $pid)"
    kill -TERM "$pid"
    if ! wait_until $((SAVEPOINT_TIMEOUT + 120)) 0.5 pid_gone "$pid"; then
      log "deploy/local/up (pid $pid) did not stop within $((SAVEPOINT_TIMEOUT + 120)) s; stopping its parts directly"
    fi
    stopped=true
  fi
  rm -f "$(pid_file up)"
  if running_pid bridge >/dev/null; then stop_component bridge 30 "HTTP bridge"; stopped=true; fi
  rm -f "$(pid_file bridge)"
  if running_pid zipkin >/dev/null; then stop_component zipkin 20 "Zipkin trace viewer"; stopped=true; fi
  rm -f "$(pid_file zipkin)"
  if running_pid job >/dev/null; then
    stop_job "$(sed -n 2p "$PID_DIR/minicluster" 2>/dev/null)"
    stop_component job 60 "pipeline job (MiniCluster)"
    stopped=true
  fi
  rm -f "$(pid_file job)" "$PID_DIR/minicluster"
  if [[ -e "$PID_DIR/cluster" ]]; then
    cluster_dir=$(sed -n 1p "$PID_DIR/cluster")
    id=$(sed -n 2p "$PID_DIR/cluster")
    if cluster_alive "$cluster_dir"; then
      stop_job "$id"
      log "stopping the Flink cluster (deploy/cluster/stop)"
      STREAMINFER_CLUSTER_DIR="$cluster_dir" "$REPO_ROOT/deploy/cluster/stop" >&2 || log "deploy/cluster/stop failed"
      stopped=true
    fi
    rm -f "$PID_DIR/cluster"
  fi
  if running_pid prometheus >/dev/null; then stop_component prometheus 30 "Prometheus server"; stopped=true; fi
  rm -f "$(pid_file prometheus)"
  if [[ -z "$keep_kafka" ]] && running_pid kafka >/dev/null; then
    stop_component kafka 60 "Kafka broker"
    stopped=true
  fi
  if [[ -z "$keep_kafka" ]]; then rm -f "$(pid_file kafka)" "$PID_DIR/kafka.by-up"; fi
  $stopped
}

# ------------------------------------------------------------------------------------------------ supervision

# Restarts with backoff, as Kubernetes restarts a pod that died (CrashLoopBackOff): the first restart at once, then
# 5, 10, 20, 40, 60 s apart; a component that stayed up for 5 minutes starts over at once.
declare -A RESTART_COUNT=() RESTART_AT=() STARTED_AT=()

restart_delay() {
  local n="${RESTART_COUNT[$1]:-0}" d=5
  ((n == 0)) && { echo 0; return; }
  while ((n > 1 && d < 60)); do d=$((d * 2)); n=$((n - 1)); done
  ((d > 60)) && d=60
  echo "$d"
}

# Says once that NAME died (with its logs' last lines) and when it restarts; true when its restart is due now.
#   restart_due NAME LABEL LOG...
restart_due() {
  local name="$1" label="$2" f delay; shift 2
  if [[ -z "${RESTART_AT[$name]:-}" ]]; then
    if ((SECONDS - ${STARTED_AT[$name]:-0} > 300)); then RESTART_COUNT[$name]=0; fi
    delay=$(restart_delay "$name")
    log "the $label died; last lines of its log:"
    for f in "$@"; do show_log_tail "$f" 15; done
    log "restarting the $label $( ((delay > 0)) && echo "in $delay s" || echo now)" \
      "(restart #$((${RESTART_COUNT[$name]:-0} + 1)), as Kubernetes restarts a pod)"
    RESTART_AT[$name]=$((SECONDS + delay))
  fi
  ((SECONDS >= RESTART_AT[$name]))
}

# Records that NAME was (re)started now; ok=false schedules the next try with backoff.
#   restarted NAME ok|failed
restarted() {
  RESTART_COUNT[$1]=$((${RESTART_COUNT[$1]:-0} + 1))
  STARTED_AT[$1]=$SECONDS
  if [[ "$2" == ok ]]; then
    unset 'RESTART_AT[$1]'
  else
    RESTART_AT[$1]=$((SECONDS + $(restart_delay "$1")))
  fi
}
