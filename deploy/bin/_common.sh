# Sourced by deploy/bin/*: finds the repo, installs what is missing, builds what is stale.
# Nothing here downloads at run time except through apt-get and Maven Central.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export STREAMINFER_MODELS_DIR="${STREAMINFER_MODELS_DIR:-$REPO_ROOT/deploy/models}"

log() { echo "[$(basename "$0")] $*" >&2; }

# Debian packages the model export needs (python3-torch is only used to export, never to serve).
ensure_export_tools() {
  if /usr/bin/python3 -c 'import torch, onnx' 2>/dev/null && command -v unzip >/dev/null; then
    return 0
  fi
  if [[ $(id -u) -ne 0 ]] && ! command -v sudo >/dev/null; then
    log "need python3-torch, python3-onnx and unzip: apt-get install -y python3-torch python3-onnx unzip"
    return 1
  fi
  local SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  log "installing python3-torch python3-onnx unzip (for the one-time model export)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-torch python3-onnx unzip >/dev/null
}

# Debian's prometheus package (prometheus and promtool), for deploy/local/up --monitoring.
ensure_prometheus() {
  command -v prometheus >/dev/null && command -v promtool >/dev/null && return 0
  if [[ $(id -u) -ne 0 ]] && ! command -v sudo >/dev/null; then
    log "need Debian's prometheus package: apt-get install -y prometheus"
    return 1
  fi
  local SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  log "installing Debian's prometheus package (for --monitoring)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
}

ensure_models() {
  if [[ -s "$STREAMINFER_MODELS_DIR/all-minilm-l6-v2/1/model.pt" && -s "$STREAMINFER_MODELS_DIR/tiny-mlp/1/model.pt"
        && -s "$STREAMINFER_MODELS_DIR/image-pool/1/model.pt" && -s "$STREAMINFER_MODELS_DIR/sotu-lookup/1/model.pt"
        && -s "$STREAMINFER_MODELS_DIR/sotu-topics/1/model.pt" ]]; then
    return 0
  fi
  ensure_export_tools
  log "exporting the default models into $STREAMINFER_MODELS_DIR"
  "$REPO_ROOT/deploy/model-export/export-models.sh" --models-dir "$STREAMINFER_MODELS_DIR" >&2
}

# Builds the modules when the tools' classpath is missing or any source is newer than it. STREAMINFER_SKIP_BUILD=1:
# the caller vouches for the build (tests that run the scripts from inside mvn verify, after package).
ensure_build() {
  [[ "${STREAMINFER_SKIP_BUILD:-}" == 1 ]] && return 0
  local stamp="$REPO_ROOT/pipeline-job/target/.streaminfer-built"
  # Sources only: run dirs under deploy/ (Kafka's meta.properties, the cluster's conf) are not sources.
  if [[ -f "$stamp" ]] && [[ -z "$(find "$REPO_ROOT" \( -path "$REPO_ROOT/deploy" -o -path "$REPO_ROOT/.git" -o -name target \) \
      -prune -o \( -name '*.java' -o -name 'pom.xml' -o -name '*.properties' -o -name '*.xml' \) \
      -newer "$stamp" -print -quit)" ]]; then
    return 0
  fi
  log "building (mvn install -DskipTests)"
  # Explicit: under 'if' or '||' set -e is off, and a failed build must not be stamped as built.
  if ! (cd "$REPO_ROOT" && mvn -B -q install -DskipTests) >&2; then
    log "build failed"
    return 1
  fi
  touch "$stamp"
}

# The JVM flags every tool and job process needs: DJL offline, and Flink's JDK 17 opens.
java_opts() {
  local props opens
  props=$(sed -n 's:.*<djl.jvm.args>\(.*\)</djl.jvm.args>.*:\1:p' "$REPO_ROOT/pom.xml")
  opens=$(sed -n 's:.*<flink.jvm.opens>\(.*\)</flink.jvm.opens>.*:\1:p' "$REPO_ROOT/pom.xml")
  echo "$props $opens ${STREAMINFER_JAVA_OPTS:-}"
}

tool_classpath() {
  local m
  local cp=""
  for m in contract tracing operators pipeline-job; do
    cp="$cp:$REPO_ROOT/$m/target/classes"
  done
  # Flink is "provided" in the job's pom (a cluster has it); a local run needs it on the classpath too.
  echo "${cp#:}:$(cat "$REPO_ROOT/pipeline-job/target/runtime-classpath.txt"):$(cat "$REPO_ROOT/pipeline-job/target/provided-classpath.txt")"
}

run_tool() {
  local main="$1"; shift
  # shellcheck disable=SC2046
  exec java $(java_opts) -cp "$(tool_classpath)" "$main" "$@"
}

# The HTTP bridge's classpath: its classes, the contract's and tracing's, and its runtime jars (sync-bridge writes
# the list).
bridge_classpath() {
  local r="$REPO_ROOT"
  echo "$r/sync-bridge/target/classes:$r/contract/target/classes:$r/tracing/target/classes:$(cat \
    "$r/sync-bridge/target/runtime-classpath.txt")"
}

# ensure_build, then the bridge's build outputs too: a tree built before sync-bridge wrote its classpath file is
# built again once.
ensure_bridge_build() {
  ensure_build
  if [[ ! -s "$REPO_ROOT/sync-bridge/target/runtime-classpath.txt" || ! -d "$REPO_ROOT/sync-bridge/target/classes" ]]; then
    rm -f "$REPO_ROOT/pipeline-job/target/.streaminfer-built"
    ensure_build
  fi
}
