# geosteer image: build with the dev toolchain, run with production dependencies only.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY --from=build /app/dist ./dist
COPY zones ./zones
COPY geoip ./geoip
# Runs as the unprivileged "node" user; port 5353 needs no capability.
USER node
EXPOSE 5353/udp 5353/tcp
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["serve", "--zones", "/app/zones", "--listen", "0.0.0.0:5353"]
