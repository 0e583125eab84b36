#!/bin/sh
# The image's command: runs the service named by VAXEL_SERVICE (the Dockerfile's SERVICE build argument),
# e.g. "interaction-log" -> `python -m vaxel_interaction_log`, replacing this shell so that the service
# receives SIGTERM itself. In a container the service listens on every interface and logs JSON unless the
# environment says otherwise (VAXEL_<SERVICE>_GRPC_HOST and the rest; the k8s base sets them all).
# `--check` only imports the service's package (the build runs it).
set -eu
service="${VAXEL_SERVICE:?VAXEL_SERVICE names the service to run}"
module="vaxel_$(printf '%s' "$service" | tr '-' '_')"
prefix="VAXEL_$(printf '%s' "$service" | tr 'a-z-' 'A-Z_')_"
if [ "${1:-}" = "--check" ]; then
    exec python -c "import ${module}.__main__"
fi
for default in GRPC_HOST=0.0.0.0 GRPC_PORT=50051 METRICS_HOST=0.0.0.0 METRICS_PORT=9100 LOG_FORMAT=json; do
    name="${prefix}${default%%=*}"
    if ! printenv "$name" >/dev/null; then
        export "$name=${default#*=}"
    fi
done
exec python -m "$module" "$@"
