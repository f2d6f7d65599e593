# Multi-stage build. The first stages compile (dependencies in their own layer, so a source
# change does not rebuild them); the runtime is distroless: glibc, CA certificates and the
# binary, no shell, no package manager, running as the image's non-root user.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
# Dependencies first: a stub crate with the real manifest builds every dependency once.
RUN mkdir -p src benches \
    && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && for bench in projects abuse_limits bookmarks pipelines; do echo 'fn main() {}' > benches/$bench.rs; done \
    && cargo build --release --locked --bin catalyst \
    && rm -rf src benches
COPY src ./src
COPY benches ./benches
COPY migrations ./migrations
COPY web-playground ./web-playground
COPY schema.graphql diesel.toml ./
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin catalyst

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/catalyst /usr/local/bin/catalyst
USER nonroot:nonroot
ENV BIND_ADDR=0.0.0.0:8000 LOG_FORMAT=json
EXPOSE 8000
# `catalyst health` asks /health/ready on BIND_ADDR's port (the image has no curl).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/catalyst", "health"]
ENTRYPOINT ["/usr/local/bin/catalyst"]
CMD ["serve"]
