# Sourced by deploy/local/up for --monitoring: Prometheus from Debian's package on the stack's metrics, with the rules
# of deploy/monitoring. Its config is a copy in the run dir; its targets are files written here as the parts come up
# with the ports they took, and again when a task manager restarts (Prometheus rereads them by itself). Its data stays
# in $STACK_DATA/prometheus between runs, like Kafka's.
# shellcheck shell=bash disable=SC2034  # its settings are used by up

PROMETHEUS_PORT="${STREAMINFER_PROMETHEUS_PORT:-9090}"
PROMETHEUS_URL="http://localhost:$PROMETHEUS_PORT"
PROMETHEUS_START_TIMEOUT="${STREAMINFER_PROMETHEUS_START_TIMEOUT:-60}"
MONITORING_SRC="$REPO_ROOT/deploy/monitoring"
MONITORING_DIR="$RUN_DIR/monitoring"
# What Flink's Prometheus reporter logs when it listens: the port each JobManager and task manager took.
REPORTER_LINE='Started PrometheusReporter HTTP server on port'

# The config, the rules (STREAMINFER_MONITORING_OBJECTIVES in place of rules/objectives.yml) and the targets known
# before anything runs, checked with promtool. Dies saying what is wrong.
monitoring_prepare() {
  ensure_prometheus || die "--monitoring needs Debian's prometheus package (prometheus and promtool)"
  rm -rf "$MONITORING_DIR"
  mkdir -p "$MONITORING_DIR/targets" "$STACK_DATA/prometheus"
  cp -r "$MONITORING_SRC/prometheus.yml" "$MONITORING_SRC/rules" "$MONITORING_DIR/"
  if [[ -n "${STREAMINFER_MONITORING_OBJECTIVES:-}" ]]; then
    [[ -f "$STREAMINFER_MONITORING_OBJECTIVES" ]] ||
      die "STREAMINFER_MONITORING_OBJECTIVES names no file: $STREAMINFER_MONITORING_OBJECTIVES"
    cp "$STREAMINFER_MONITORING_OBJECTIVES" "$MONITORING_DIR/rules/objectives.yml"
    log "objectives from $STREAMINFER_MONITORING_OBJECTIVES"
  fi
  write_targets bridge "[{\"targets\": [\"localhost:$BRIDGE_PORT\"], \"labels\": {\"component\": \"bridge\"}}]"
  write_targets prometheus "[{\"targets\": [\"localhost:$PROMETHEUS_PORT\"]}]"
  write_targets flink "[]"
  local out
  if ! out=$(promtool check config "$MONITORING_DIR/prometheus.yml" 2>&1); then
    echo "$out" >&2
    die "the monitoring config does not check out (promtool check config $(rel "$MONITORING_DIR")/prometheus.yml)"
  fi
}

monitoring_start() {
  : >>"$RUN_DIR/prometheus.log"
  spawn prometheus "$RUN_DIR/prometheus.log" prometheus --config.file="$MONITORING_DIR/prometheus.yml" \
    --storage.tsdb.path="$STACK_DATA/prometheus" --web.listen-address="127.0.0.1:$PROMETHEUS_PORT"
  STARTED_AT[prometheus]=$SECONDS
}

prometheus_ready() {
  [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$PROMETHEUS_URL/-/ready" 2>/dev/null)" == 200 ]]
}

# Starts Prometheus and waits until it serves; dies when it does not.
monitoring_up() {
  log "starting Prometheus on $PROMETHEUS_URL (rules: deploy/monitoring; log: $(rel "$RUN_DIR/prometheus.log"))"
  monitoring_start
  # Until the forked shell has exec'd prometheus its pid shows up's own command line, which --watch would take for
  # a dead Prometheus (seen on a loaded machine): wait for the exec first.
  wait_until 10 0.1 running_pid prometheus >/dev/null || true
  local rc=0
  wait_until --watch prometheus "$PROMETHEUS_START_TIMEOUT" 0.5 prometheus_ready || rc=$?
  ((rc == 0)) && return 0
  show_log_tail "$RUN_DIR/prometheus.log"
  ((rc == 2)) && die "Prometheus ended as it started (log: $(rel "$RUN_DIR/prometheus.log"))"
  die "Prometheus did not start within $PROMETHEUS_START_TIMEOUT s (log: $(rel "$RUN_DIR/prometheus.log"))"
}

# Writes targets/NAME.json atomically (Prometheus never reads half a file), only when it changed.
write_targets() {
  local f="$MONITORING_DIR/targets/$1.json"
  [[ -f "$f" && "$(cat "$f")" == "$2" ]] && return 0
  printf '%s' "$2" >"$f.tmp"
  mv "$f.tmp" "$f"
}

# The reporter port each Flink process took: the MiniCluster's is the one its config names (it logs at WARN, so its
# log never says); the session cluster's processes say theirs in jobmanager.log and tm<N>.log (the last start's,
# after a restart). Returns 1 while one has not said it yet.
MONITORING_SEEN=""
monitoring_targets() {
  local logs=() f name port labels entries=() missing=0 seen
  if $MINI_CLUSTER; then
    labels='"component": "minicluster"'
    write_targets flink "[{\"targets\": [\"localhost:$MINICLUSTER_METRICS_PORT\"], \"labels\": {$labels}}]"
    return 0
  fi
  logs=("$CLUSTER_DIR"/log/jobmanager.log "$CLUSTER_DIR"/log/tm*.log)
  # Rescan only when a process changed (a task manager restarted): logs grow large.
  seen=$(cat "$PID_DIR"/*.pid "$CLUSTER_DIR"/*.pid 2>/dev/null | tr '\n' ' ')
  [[ "$seen" == "$MONITORING_SEEN" ]] && return 0
  for f in "${logs[@]}"; do
    [[ -f "$f" ]] || continue
    name=$(basename "$f" .log)
    port=$(grep -a "$REPORTER_LINE" "$f" | tail -1 | sed -n 's/.* on port \([0-9]*\).*/\1/p')
    if [[ -z "$port" ]]; then missing=1; continue; fi
    case "$name" in
      jobmanager) labels='"component": "jobmanager"' ;;
      *) labels="\"component\": \"taskmanager\", \"taskmanager\": \"$name\"" ;;
    esac
    entries+=("{\"targets\": [\"localhost:$port\"], \"labels\": {$labels}}")
  done
  write_targets flink "[$(IFS=,; echo "${entries[*]}")]"
  ((missing == 0)) || return 1
  MONITORING_SEEN="$seen"
}

# The MiniCluster's job config: Flink's Prometheus reporter, as deploy/cluster/start configures a session cluster's
# (job.yaml's last section is flink:), on the first free port of 9250-9270.
MINICLUSTER_METRICS_PORT=""
monitoring_job_config() {
  local p
  for p in $(seq 9250 9270); do
    if ! port_busy "$p"; then MINICLUSTER_METRICS_PORT=$p; break; fi
  done
  [[ -n "$MINICLUSTER_METRICS_PORT" ]] || die "no free port in 9250-9270 for the job's Prometheus reporter"
  cat >>"$1" <<EOF
  metrics.reporter.prom.factory.class: org.apache.flink.metrics.prometheus.PrometheusReporterFactory
  metrics.reporter.prom.port: "$MINICLUSTER_METRICS_PORT"
  metrics.reporter.prom.filterLabelValueCharacters: "false"
EOF
}

# Restarts a Prometheus that died (with backoff, like the other parts) and keeps the Flink targets current.
supervise_monitoring() {
  monitoring_targets || true
  running_pid prometheus >/dev/null && return 0
  restart_due prometheus "Prometheus server" "$RUN_DIR/prometheus.log" || return 0
  monitoring_start
  log "Prometheus started again (pid $(running_pid prometheus || echo '?'))"
  restarted prometheus ok
}
