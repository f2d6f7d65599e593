# Multi-stage build: compile in the Rust image, run from a slim Debian with only the binary.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY web-playground ./web-playground
COPY schema.graphql diesel.toml ./
RUN cargo build --release --locked --bin catalyst

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 catalyst
COPY --from=build /src/target/release/catalyst /usr/local/bin/catalyst
USER catalyst
ENV BIND_ADDR=0.0.0.0:8000 LOG_FORMAT=json
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8000/health/ready || exit 1
ENTRYPOINT ["catalyst"]
CMD ["serve"]
