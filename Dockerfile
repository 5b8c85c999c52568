# One image for every service; docker-compose.yml picks the service with `command`
# (node services/<name>/dist/main.js). Without a command it runs standalone mode.
# The provisioning step that defines the event stream on a NATS server with auth runs from
# it too, before the services: node services/provisioner/dist/main.js.
FROM node:20-bookworm-slim

WORKDIR /app

# .dockerignore keeps node_modules, dist and local data out of the context.
COPY . .

# The root build script builds the example plugin (AssemblyScript), then
# tsc -b tsconfig.build.json; the dev dependencies are dropped afterwards.
RUN npm ci --no-audit --no-fund \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 && mkdir -p /app/data /artifacts \
 && chown node:node /app/data /artifacts

# Every service listens on HOST (loopback by default outside a container).
ENV NODE_ENV=production \
    HOST=0.0.0.0
USER node
EXPOSE 3000
CMD ["node", "services/standalone/dist/main.js"]
