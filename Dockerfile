# syntax=docker/dockerfile:1
# One image recipe for every factory-edge service, chosen with --build-arg SERVICE=... (and BIN=...):
#   docker buildx build --platform linux/amd64,linux/arm64 --build-arg SERVICE=broker --build-arg BIN=factory-broker -t factory-edge/broker .
# The build stage runs on the builder's own platform (no emulation needed): the production
# dependencies are plain JavaScript, except classic-level, which ships prebuilt binaries for
# linux x64, arm64 and armv7.

ARG NODE_VERSION=22.23.3

FROM --platform=$BUILDPLATFORM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY shared/package.json shared/
COPY test-support/package.json test-support/
COPY broker/package.json broker/
COPY sensor-simulator/package.json sensor-simulator/
COPY edge-detector/package.json edge-detector/
COPY launcher/package.json launcher/
# --ignore-scripts: nothing needs compiling; the `prepare` build runs below, once the sources are in.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY shared/ shared/
# The tests' helpers: `tsc -b` builds every workspace; the runtime stage copies none of it.
COPY test-support/ test-support/
COPY broker/ broker/
COPY sensor-simulator/ sensor-simulator/
COPY edge-detector/ edge-detector/
COPY launcher/ launcher/
RUN npx tsc -b \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf */dist/test */dist/*.tsbuildinfo */src */test

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ARG SERVICE=broker
ARG BIN=factory-broker
ENV NODE_ENV=production \
    LOG_FORMAT=json \
    ENTRY=/app/${SERVICE}/dist/src/bin/${BIN}.js
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/shared ./shared
COPY --from=build /src/broker ./broker
COPY --from=build /src/sensor-simulator ./sensor-simulator
COPY --from=build /src/edge-detector ./edge-detector
# Writable places for the unprivileged user: /data (stores, spool) and /models.
RUN mkdir -p /data /models /config && chown node:node /data /models /config
USER node
VOLUME ["/data"]
# exec: node is PID 1's child-free replacement and receives SIGTERM for a clean shutdown.
ENTRYPOINT ["/bin/sh", "-c", "exec node \"$ENTRY\" \"$@\"", "--"]
