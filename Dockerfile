# The stork controller image: `stork run` (the Deployment in deploy/ passes its flags).
# Build: docker build -t ghcr.io/stork-py/stork:0.1.0 .
# Without any registry (the sandbox's nodes): `make image` builds Containerfile beside it.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
COPY --from=build /install /usr/local
# A fixed non-root user (the Deployment's runAsUser); no home, no shell login.
RUN groupadd --system --gid 65532 stork \
    && useradd --system --uid 65532 --gid 65532 --no-create-home --shell /usr/sbin/nologin stork
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["stork"]
CMD ["run"]
