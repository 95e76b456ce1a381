# syntax=docker/dockerfile:1
# One image per service from this one file:
#   docker build --build-arg SERVICE=ledger -t partner-payments/ledger:<tag> .
# SERVICE is one of: ledger, case-lifecycle, follow-up, gateway. The image runs the service
# (`node dist/main.js`); its migrations run as a separate command: `node dist/migrate.js`.
# The build stage does not depend on SERVICE, so building the four images builds the code once.
ARG NODE_IMAGE=node:20-bookworm-slim

# Only the package manifests, so `npm ci` below stays cached until a dependency changes.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir -p /manifests \
 && cp package.json package-lock.json /manifests/ \
 && for f in packages/*/package.json services/*/package.json; do \
      mkdir -p "/manifests/$(dirname "$f")" && cp "$f" "/manifests/$f"; \
    done

# Install everything (dev tools included) and build every project with Nx, as `npm run build` does locally.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
# scripts/ensure.js reinstalls when package-lock.json looks newer than the install; it is the same
# lockfile that was just installed, so mark the install current, then build (nx run-many -t build).
RUN touch node_modules/.package-lock.json && npm run build

# Runtime: production dependencies of this one service and its workspace packages, plus compiled code.
FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ENV NODE_ENV=production
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN test -n "${SERVICE}" && test -f "services/${SERVICE}/package.json" \
 || { echo "build with --build-arg SERVICE=<ledger|case-lifecycle|follow-up|gateway>" >&2; exit 1; }
# --workspace installs the dependencies of services/${SERVICE} and of the @pp packages it uses, no
# devDependencies and nothing of the other services (no test tooling, no Nx, no TypeScript).
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --workspace "services/${SERVICE}" --no-audit --no-fund
# @pp/proto loads the .proto files at run time from /app/protos (next to packages/).
COPY --from=build /app/protos ./protos
COPY --from=build /app/packages/domain/dist ./packages/domain/dist
COPY --from=build /app/packages/events/dist ./packages/events/dist
COPY --from=build /app/packages/platform/dist ./packages/platform/dist
COPY --from=build /app/packages/proto/dist ./packages/proto/dist
# The gateway's dist/ also holds portal/ (the Partner Portal's static files, copied there by its build).
COPY --from=build /app/services/${SERVICE}/dist ./services/${SERVICE}/dist
WORKDIR /app/services/${SERVICE}
# The official image's unprivileged `node` user, by number so Kubernetes can check runAsNonRoot.
# Everything above is owned by root and only readable here: the root filesystem can be read-only.
USER 1000:1000
CMD ["node", "dist/main.js"]
