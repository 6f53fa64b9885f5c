# syntax=docker/dockerfile:1
# The pipeline job's image: official Flink + the job jar + DJL on the parent classpath + DJL's CUDA libtorch +
# the model repository. JobManager and task managers run it (FlinkDeployment spec.image).
#
# Build from the repository root, after `mvn package` and the model export (deploy/docker/README.md):
#   docker build -f deploy/docker/job.Dockerfile -t streaminfer-job:0.1.0 .
# Needs network access at build time (publish.djl.ai, for libtorch); nothing is downloaded at run time.

ARG FLINK_IMAGE=flink:2.2.1-java17
# libtorch matching DJL 0.36's JNI (pytorch-jni 2.7.1-0.36.0), CUDA 12.8 build ("cu128", the CUDA flavor whose
# libdjl_torch.so that jar carries). Keep these in step with the parent pom's pytorch-native.version/djl.version.
ARG PYTORCH_VERSION=2.7.1
ARG PYTORCH_FLAVOR=cu128
ARG DJL_VERSION=0.36.0

# ---- stage 1: DJL's CUDA libtorch (exactly the files DJL itself downloads when online) and the matching JNI ----
FROM ${FLINK_IMAGE} AS libtorch
ARG PYTORCH_VERSION
ARG PYTORCH_FLAVOR
ARG DJL_VERSION
USER root
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates wget unzip \
 && rm -rf /var/lib/apt/lists/*
RUN set -eux; \
    base="https://publish.djl.ai/pytorch/${PYTORCH_VERSION}"; \
    out=/opt/libtorch; mkdir -p "$out"; \
    wget -nv -O /tmp/files.txt "$base/files.txt"; \
    grep "^${PYTORCH_FLAVOR}/linux-x86_64/native/lib/" /tmp/files.txt > /tmp/wanted.txt; \
    test -s /tmp/wanted.txt; \
    while read -r f; do \
      name="$(basename "${f%.gz}")"; name="$(printf '%b' "${name//%/\\x}")"; \
      wget -nv -O - "$base/$f" | gunzip > "$out/$name"; \
    done < /tmp/wanted.txt; \
    test -f "$out/libtorch.so" && test -f "$out/libtorch_cuda.so"
# DJL looks for its JNI library next to an overridden libtorch as <djl version>-libdjl_torch.so; pytorch-jni
# carries the cu128 build of it.
COPY deploy/docker/djl-lib/target/lib/pytorch-jni-*.jar /tmp/pytorch-jni.jar
RUN set -eux; cd /tmp; \
    unzip -q /tmp/pytorch-jni.jar "jnilib/linux-x86_64/${PYTORCH_FLAVOR}/libdjl_torch.so"; \
    mv "jnilib/linux-x86_64/${PYTORCH_FLAVOR}/libdjl_torch.so" "/opt/libtorch/${DJL_VERSION}-libdjl_torch.so"

# ---- stage 2: the image ----
FROM ${FLINK_IMAGE}
ARG PYTORCH_VERSION
ARG PYTORCH_FLAVOR
ARG DJL_VERSION
USER root

# The GPU plugin: Flink's distribution ships it (jar + nvidia-gpu-discovery.sh + gpu-discovery-common.sh). Make sure
# plugins/external-resource-gpu/ holds it, copying from opt/ where this image keeps it there; same for the
# Prometheus reporter (plugins/metrics-prometheus/). The build fails here rather than at run time if one is missing.
RUN set -eux; cd /opt/flink; \
    for p in external-resource-gpu:flink-external-resource-gpu metrics-prometheus:flink-metrics-prometheus; do \
      dir="plugins/${p%%:*}"; jar="${p##*:}"; \
      if ! ls "$dir/$jar"-*.jar >/dev/null 2>&1; then \
        mkdir -p "$dir"; cp opt/"$jar"-*.jar "$dir"/; \
      fi; \
    done; \
    gpu=plugins/external-resource-gpu; \
    for s in nvidia-gpu-discovery.sh gpu-discovery-common.sh; do \
      if [ ! -f "$gpu/$s" ]; then cp "$(find opt -name "$s" | head -n1)" "$gpu/$s"; fi; \
      chmod 755 "$gpu/$s"; \
    done; \
    chown -R flink:flink plugins

# DJL (api, pytorch-engine, pytorch-jni, tokenizers and their dependencies) on the parent classpath: staged by
# `mvn -f deploy/docker/djl-lib/pom.xml package`. The FlinkDeployment makes ai.djl. parent-first, so the copies
# shaded into the job jar are never loaded.
COPY --chown=flink:flink deploy/docker/djl-lib/target/lib/ /opt/flink/lib/

# libtorch (CUDA) and its JNI library in the layout of DJL's cache, so DJL finds everything offline:
# PYTORCH_LIBRARY_PATH names the directory, PYTORCH_VERSION/PYTORCH_FLAVOR say what is in it (without the flavor,
# DJL would probe for a GPU and guess). The tokenizers' native library is extracted below DJL_CACHE_DIR at start.
ENV DJL_CACHE_DIR=/opt/flink/.djl.ai
ENV PYTORCH_LIBRARY_PATH=${DJL_CACHE_DIR}/pytorch/${PYTORCH_VERSION}-${PYTORCH_FLAVOR}-linux-x86_64 \
    PYTORCH_VERSION=${PYTORCH_VERSION} \
    PYTORCH_FLAVOR=${PYTORCH_FLAVOR}
COPY --from=libtorch --chown=flink:flink /opt/libtorch/ ${PYTORCH_LIBRARY_PATH}/
RUN chown -R flink:flink "${DJL_CACHE_DIR}"

# The NVIDIA container runtime mounts the driver and nvidia-smi (which the discovery script runs) into the
# container for these capabilities; the device plugin picks the GPU (NVIDIA_VISIBLE_DEVICES).
ENV NVIDIA_DRIVER_CAPABILITIES=compute,utility

# The model repository (models.dir in the job config), and the job.
COPY --chown=flink:flink deploy/models/ /opt/streaminfer/models/
COPY --chown=flink:flink pipeline-job/target/pipeline-job-*-job.jar /opt/flink/usrlib/streaminfer-job.jar

USER flink
