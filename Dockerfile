# One image recipe for every service; the service is a build argument (context: the repository root):
#
#   docker build --build-arg SERVICE=routing -t vaxel/routing:0.1.0 .
#
# SERVICE is a directory name under services/ (client-tenant, routing, interaction-log, sla, conversation). The repository
# is one Python distribution (pyproject.toml), so every image holds all the packages and differs only in what
# it runs. Two stages: the build stage installs into a virtualenv, the runtime stage copies that virtualenv
# into a clean slim image and runs the service as an unprivileged user.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG SERVICE
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/vaxel
COPY pyproject.toml README.md ./
COPY libs/ libs/
COPY services/ services/
RUN /opt/vaxel/bin/pip install --no-cache-dir .
COPY deploy/docker/entrypoint.sh /opt/vaxel/bin/vaxel-service
# Fails the build for a SERVICE that names no service.
RUN test -n "${SERVICE}" && test -d "services/${SERVICE}" \
    && PATH="/opt/vaxel/bin:$PATH" VAXEL_SERVICE="${SERVICE}" vaxel-service --check

FROM ${PYTHON_IMAGE}
ARG SERVICE
RUN groupadd --system --gid 10001 vaxel \
    && useradd --system --uid 10001 --gid vaxel --home-dir /var/lib/vaxel --no-create-home \
       --shell /usr/sbin/nologin vaxel \
    && install -d -o vaxel -g vaxel -m 0750 /var/lib/vaxel
COPY --from=build /opt/vaxel /opt/vaxel
ENV PATH=/opt/vaxel/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VAXEL_SERVICE=${SERVICE}
# Relative default paths (var/...) land in the data directory.
WORKDIR /var/lib/vaxel
USER 10001:10001
EXPOSE 50051 9100
CMD ["vaxel-service"]
