# One image for the scaled-out apps (ingest, reports); the command picks which.
# ts-node runs the TypeScript sources, so all dependencies are installed.
FROM node:20-bookworm-slim

WORKDIR /app
COPY package.json package-lock.json ./
# npm install, not npm ci: chdb's lock lists platform packages the registry does not serve.
RUN npm install --no-audit --no-fund && npm cache clean --force

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000

COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY clickhouse ./clickhouse
COPY scripts ./scripts
# The web page that apps/reports serves at /.
RUN npm run build:web

# The apps never run as root: a query, a delivery or a bug acts with the rights of `node` (uid 1000),
# which owns only DATA_DIR (export files, the link-signing key). Folder deliveries go to
# DATA_DIR/deliveries unless DELIVERY_FOLDER_ROOTS names mounted folders `node` may write.
RUN mkdir -p /var/lib/tallyhouse && chown node:node /var/lib/tallyhouse
ENV DATA_DIR=/var/lib/tallyhouse
USER node
EXPOSE 3000
CMD ["npm", "run", "start:ingest"]
