# syntax=docker/dockerfile:1
# The HTTP bridge's image: a JRE, the bridge's classes and runtime jars, the model repository (for model metadata
# and request validation), running as a non-root user.
#
# Build from the repository root, after the build and staging the bridge's jars (deploy/docker/README.md):
#   mvn -B install -DskipTests
#   mvn -B -pl sync-bridge dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=target/lib
#   docker build -f deploy/docker/bridge.Dockerfile -t streaminfer-bridge:0.1.0 .
FROM eclipse-temurin:17-jre

RUN groupadd --system --gid 10001 bridge \
 && useradd --system --uid 10001 --gid bridge --home-dir /opt/streaminfer --shell /usr/sbin/nologin bridge

# The same classpath that sync-bridge/target/runtime-classpath.txt lists, copied into the image.
COPY sync-bridge/target/lib/ /opt/streaminfer/bridge/lib/
COPY sync-bridge/target/classes/ /opt/streaminfer/bridge/classes/
COPY deploy/models/ /opt/streaminfer/models/

USER 10001:10001
WORKDIR /opt/streaminfer
EXPOSE 8080
ENTRYPOINT ["java", "-cp", "/opt/streaminfer/bridge/classes:/opt/streaminfer/bridge/lib/*", "io.streaminfer.bridge.BridgeMain"]
CMD ["--config", "/etc/streaminfer/bridge.yaml"]
