# syntax=docker/dockerfile:1
#
# One image for both roles of a tickwire cluster, chosen by the command:
#
#   docker build -t tickwire .
#   docker run tickwire                    # a game process: tickwire serve with the arena's rooms
#   docker run tickwire serve --rooms examples/bridge/dist/server/rooms.js
#   docker run tickwire gateway --static examples/arena/dist/public   # the gateway, serving the arena's page
#
# Configuration is the environment (REDIS_URL, DATABASE_URL, TICKWIRE_SECRET, PUBLIC_URL, ...):
# see `tickwire serve --help`, `tickwire gateway --help` and docs/scaling.md. deploy/ has a
# compose file and Kubernetes and Agones manifests that run it.

ARG NODE_VERSION=20

# The workspace manifests alone, so the dependency layers below are rebuilt only when they change.
FROM node:${NODE_VERSION}-bookworm AS manifests
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY packages/protocol/package.json packages/protocol/
COPY packages/server/package.json packages/server/
COPY packages/storage/package.json packages/storage/
COPY packages/client/package.json packages/client/
COPY packages/cli/package.json packages/cli/
COPY packages/redis/package.json packages/redis/
COPY packages/gateway/package.json packages/gateway/
COPY examples/arena/package.json examples/arena/
COPY examples/bridge/package.json examples/bridge/
COPY tests/package.json tests/
COPY bench/package.json bench/

# Production dependencies only. --ignore-scripts skips the root's "prepare" (a build, which needs
# the sources and TypeScript); the one native module is then built on its own.
FROM manifests AS deps
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3

# Everything, then the build: the packages (tsc -b), the examples' game modules as JavaScript,
# and their pages (vite). Nothing here runs the native module, so its install script is skipped.
FROM manifests AS build
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npx tsc -b \
 && npx tsc -b examples/arena/tsconfig.rooms.json examples/bridge/tsconfig.rooms.json \
 && npm run build --workspace examples/arena --workspace examples/bridge \
 && mkdir -p /out \
 && for p in packages/protocol packages/server packages/storage packages/client packages/cli packages/redis packages/gateway examples/arena examples/bridge; do \
      mkdir -p /out/$p && cp -r $p/package.json $p/dist /out/$p/; \
    done \
 && cp -r packages/cli/bin /out/packages/cli/ \
 && cp -r packages/gateway/admin /out/packages/gateway/

# The runtime: Node, the production dependencies and the built dist folders; no compiler, no sources.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=8080
WORKDIR /app
COPY --from=deps /app/package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /out ./
USER node
EXPOSE 8080
# Both roles answer GET /api/health on PORT; the slim image has no curl, Node's fetch does.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM drains a game process (rooms run on until they end or TICKWIRE_DRAIN_DEADLINE_MS,
# then are handed off) and stops a gateway: give containers a stop timeout longer than the deadline.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "packages/cli/bin/tickwire.js"]
CMD ["serve", "--rooms", "examples/arena/dist/server/rooms.js"]
