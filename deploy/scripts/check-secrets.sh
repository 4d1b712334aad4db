#!/bin/sh
# Entrypoint wrapper for the third-party images of the compose stack (InfluxDB, Grafana, NATS): refuses
# to start while a secret is missing or still a `change-me…` placeholder, before the image's own
# entrypoint sets anything up with it, then runs that entrypoint.
#   check-secrets.sh [--export] NAME[:FILE_VARIABLE]... -- command [args]
# --export also puts each secret's value into the environment of the command, for a program that only
# reads it from there (nats-server's config); without it the command reads the file itself.
set -eu
. "$(dirname "$0")/secret.sh"
export_values=false
if [ "${1:-}" = --export ]; then export_values=true; shift; fi
while [ $# -gt 0 ] && [ "$1" != -- ]; do
  name=${1%%:*}
  file_var=${1#*:}
  [ "$file_var" = "$1" ] && file_var=${name}_FILE
  value=$(secret "$name" "$file_var") || exit 1
  if [ "$export_values" = true ]; then export "$name=$value"; fi
  shift
done
[ "${1:-}" = -- ] && shift
exec "$@"
