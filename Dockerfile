# syntax=docker/dockerfile:1
# DocuVault image: the UI built with Node, a static Go binary, and a small
# non-root runtime. Needs BuildKit (the default builder of Docker 23+ and of
# `docker compose build`).
#
#   docker build -t docuvault .
#   docker run -p 8080:8080 -v docuvault-data:/data docuvault

ARG GO_VERSION=1.26
ARG NODE_VERSION=22

# --- 1. UI: ui/dist. Without ui/package.json (older commits) dist/ stays
# empty and the binary serves the ui package's "UI not built" page, so the
# image builds at every commit.
FROM node:${NODE_VERSION}-alpine AS ui
WORKDIR /src/ui
# The wildcard matches nothing when ui/ does not exist, which BuildKit allows.
COPY ui* ./
RUN --mount=type=cache,target=/root/.npm \
    if [ -f package.json ]; then \
      npm ci --no-audit --no-fund && npm run build; \
    else \
      mkdir -p dist && touch dist/.gitkeep; \
    fi

# --- 2. The binary: static (CGO_ENABLED=0; SQLite is pure Go), with the UI
# embedded from ui/dist.
FROM golang:${GO_VERSION}-alpine AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
COPY --from=ui /src/ui/dist ./ui/dist
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/docuvault ./cmd/docuvault \
 && mkdir -p /out/data

# --- 3. Runtime: distroless static (no shell, no package manager), as the
# unprivileged user 65532. /data holds SQLite, local files and --dev-tls.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/docuvault /usr/local/bin/docuvault
COPY --from=build --chown=65532:65532 /out/data /data
ENV DOCUVAULT_LISTEN=0.0.0.0:8080 \
    DOCUVAULT_DATA_DIR=/data \
    DOCUVAULT_LOG_FORMAT=json
USER 65532:65532
VOLUME /data
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/docuvault", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/docuvault"]
CMD ["serve"]
