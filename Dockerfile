# Build stage: compile the release binary.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin switchboard

# Runtime stage: just the binary. Migrations are embedded and run at start.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/switchboard /usr/local/bin/switchboard
ENV BIND=0.0.0.0 \
    PORT=3000
EXPOSE 3000
USER nobody
ENTRYPOINT ["switchboard"]
CMD ["serve"]
