# Sourced by deploy/local/up for --tracing: Zipkin's server as the local trace viewer (one Java jar from Maven
# Central, no Docker; Zipkin takes its own JSON API, not OTLP, so the job and the bridge use their Zipkin exporter).
# Needs _local.sh's functions. docs/tracing.md says how to follow a request in it.

ZIPKIN_VERSION=3.5.1
ZIPKIN_PORT="${STREAMINFER_ZIPKIN_PORT:-9411}"
ZIPKIN_URL="http://localhost:$ZIPKIN_PORT"

# The exec jar in the local Maven repository, fetched once (130 MB).
zipkin_jar() {
  local jar="$HOME/.m2/repository/io/zipkin/zipkin-server/$ZIPKIN_VERSION/zipkin-server-$ZIPKIN_VERSION-exec.jar"
  if [[ ! -s "$jar" ]]; then
    log "fetching Zipkin's server $ZIPKIN_VERSION from Maven Central (once, 130 MB)"
    mvn -B -q dependency:get -Dartifact="io.zipkin:zipkin-server:$ZIPKIN_VERSION:jar:exec" -Dtransitive=false >&2 ||
      die "could not fetch io.zipkin:zipkin-server:$ZIPKIN_VERSION:exec; run deploy/local/up without --tracing"
  fi
  echo "$jar"
}

zipkin_up() { curl -sf "$ZIPKIN_URL/health" >/dev/null 2>&1; }

# Starts Zipkin (in-memory storage: traces last as long as it runs) and waits until it answers.
start_zipkin() {
  local jar
  if running_pid zipkin >/dev/null; then
    log "using the Zipkin viewer already running ($ZIPKIN_URL/zipkin/)"
    return 0
  fi
  require_free_port "$ZIPKIN_PORT" "Zipkin" STREAMINFER_ZIPKIN_PORT
  jar=$(zipkin_jar)
  log "starting Zipkin on $ZIPKIN_URL (log: $(rel "$RUN_DIR/zipkin.log"))"
  QUERY_PORT="$ZIPKIN_PORT" spawn zipkin "$RUN_DIR/zipkin.log" java -Xms64m -Xmx512m -jar "$jar"
  wait_until --watch zipkin 90 0.5 zipkin_up || {
    show_log_tail "$RUN_DIR/zipkin.log"
    die "Zipkin did not answer on $ZIPKIN_URL within 90 s (log: $(rel "$RUN_DIR/zipkin.log"))"
  }
  log "traces: $ZIPKIN_URL/zipkin/ (send a request with a traceparent header, or find it by its ID: docs/tracing.md)"
}

# The config section that points a process at Zipkin; every request traced.
tracing_section() {
  printf 'tracing:\n  enabled: true\n  sampler-ratio: 1.0\n  exporter: zipkin\n  endpoint: %s/api/v2/spans\n' \
    "$ZIPKIN_URL"
}

# Into a rendered job.yaml: before its flink: section, which must stay the last one (up appends to it).
add_tracing_to_job() {
  local file="$1" section
  section=$(tracing_section)
  awk -v s="$section" '/^flink:/ && !done { print s; print ""; done=1 } { print }' "$file" >"$file.tmp"
  mv "$file.tmp" "$file"
}

add_tracing_to_bridge() {
  printf '\n%s\n' "$(tracing_section)" >>"$1"
}
