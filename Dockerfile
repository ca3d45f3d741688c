# syntax=docker/dockerfile:1
# Multi-stage: compile with the dev toolchain, then ship only dist/ and production
# dependencies on a slim base, running as an unprivileged user.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts: nothing fleetgate needs at runtime builds native code.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
# Node's HTTP reads allocate a 64 KiB buffer each; with glibc's default 128 KiB trim threshold a
# relaying gateway could hand the heap top back to the kernel and fault it in again on every few
# reads (~55k page faults and 3x the CPU per GiB relayed, in some processes and not others).
# A 32 MiB threshold keeps that memory: docs/performance.md "The bulk path".
ENV GLIBC_TUNABLES=glibc.malloc.trim_threshold=33554432
WORKDIR /app
# /keys and /data are owned by the runtime user so named volumes mounted there inherit it
# (acl keygen writes the key pair into /keys and the node join token into /join; agents keep
# allocation directories in /data; with docker-compose.tls.yml, tls-init writes certificates into /tls).
RUN groupadd --system fleetgate \
 && useradd --system --gid fleetgate --home-dir /app --shell /usr/sbin/nologin fleetgate \
 && mkdir -p /keys /data /join /tls \
 && chown fleetgate:fleetgate /keys /data /join /tls
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
USER fleetgate
EXPOSE 4646
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["--help"]
