# Spark Control image (used by the StartOS package): build once, run with production dependencies only, as non-root.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.base.json ./
COPY scripts ./scripts
COPY core ./core
COPY plugins ./plugins
COPY sim ./sim
COPY ui ./ui
RUN node scripts/build.mjs && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production SPARK_BIND=0.0.0.0 SPARK_PORT=9999 SPARK_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Non-TS assets read at runtime: fake tools for the simulated cluster, the built-in model catalog. (The plugins'
# simulator assets, e.g. vLLM's fake launcher, are in dist/: scripts/build.mjs copies them beside the JS.)
COPY --from=build /app/sim ./sim
COPY --from=build /app/plugins/vllm/catalog.yaml ./plugins/vllm/catalog.yaml
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 9999
# V8 flags: core/src/kernel/nodeFlags.ts (why and what they were measured to buy).
CMD ["node", "--max-semi-space-size=32", "dist/server/core/src/main.js"]
