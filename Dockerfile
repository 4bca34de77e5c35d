# dvc-gateway: build once, run as API, worker, or both (GATEWAY_ROLE), or as the upstream simulators.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/adapters/dancu-soap/fixtures ./dist/adapters/dancu-soap/fixtures
USER node
EXPOSE 8080
CMD ["node", "dist/src/main.js"]
