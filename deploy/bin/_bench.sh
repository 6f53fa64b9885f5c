# Sourced by deploy/bin/bench-*: runs a benchmark main class from pipeline-job/src/bench (the harnesses, apart from
# the tests; they build with the test sources, whose in-process broker and fixtures they use) on the test classpath.
# Figures on stdout; Flink and Kafka warnings go to pipeline-job/target/<name>.log, errors also to stderr.
#   run_bench <name> <main class> [args...]
#   bench_setup <name> <main class>; java ... -Dlog4j2.configurationFile="$log_config" -cp "$cp" <main class>
bench_setup() {
  local name="$1" main="$2"
  target="$REPO_ROOT/pipeline-job/target"

  # The harnesses build with the job's test sources, so they run on the test classpath, kept in a file and remade
  # when a pom changes.
  cp_file="$target/test-classpath.txt"
  if [[ ! -s "$cp_file" || "$REPO_ROOT/pipeline-job/pom.xml" -nt "$cp_file" || "$REPO_ROOT/pom.xml" -nt "$cp_file" ]]; then
    log "writing the test classpath to $cp_file"
    (cd "$REPO_ROOT" && mvn -B -q -o -pl pipeline-job dependency:build-classpath -DincludeScope=test \
      -Dmdep.outputFile="$cp_file") >&2
  fi
  main_class="$target/test-classes/${main//.//}.class"
  if [[ ! -f "$main_class" || -n "$(find "$REPO_ROOT/pipeline-job/src/test" "$REPO_ROOT/pipeline-job/src/bench" \
      -newer "$main_class" -type f -print -quit)" ]]; then
    log "compiling the test classes"
    (cd "$REPO_ROOT" && mvn -B -q -o -pl pipeline-job test-compile) >&2
  fi

  # Broker, Flink and DJL share this JVM: WARN and above to a file, ERROR also to stderr, the table alone on stdout.
  log_file="$target/$name.log"
  log_config="$target/$name-log4j2.properties"
  cat > "$log_config" <<EOF
rootLogger.level = WARN
rootLogger.appenderRef.file.ref = file
rootLogger.appenderRef.stderr.ref = stderr
rootLogger.appenderRef.stderr.level = ERROR
appender.file.type = File
appender.file.name = file
appender.file.fileName = $log_file
appender.file.append = false
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = %d{HH:mm:ss.SSS} %-5p %c{1} [%t] %m%n
appender.stderr.type = Console
appender.stderr.name = stderr
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = %d{HH:mm:ss.SSS} %-5p %c{1} %m%n
logger.cuda.name = ai.djl.util.cuda.CudaUtils
logger.cuda.level = ERROR
EOF

  # Module classes first, so they win over the installed jars the test classpath names.
  cp="$target/test-classes"
  for m in contract tracing operators sync-bridge pipeline-job; do
    cp="$cp:$REPO_ROOT/$m/target/classes"
  done
  cp="$cp:$(cat "$cp_file")"
}

run_bench() {
  local name="$1" main="$2"; shift 2
  bench_setup "$name" "$main"
  cd "$REPO_ROOT"
  log "running; Flink/Kafka warnings in $log_file"
  # shellcheck disable=SC2046
  exec java -Xmx2g $(java_opts) -Dlog4j2.configurationFile="$log_config" -cp "$cp" "$main" "$@"
}
