#!/bin/sh
# InfluxDB init script (run once by the influxdb image from /docker-entrypoint-initdb.d after its setup,
# with the admin token configured): one token per service, scoped to the one bucket, instead of handing
# out the admin token. The detector and Telegraf get write access only, Grafana read access only; each
# token is written to a file in $TOKEN_DIR, a volume that service mounts read-only (INFLUX_TOKEN_FILE for
# the detector, $__file{} in Grafana's datasource, the entrypoint of the telegraf service). A token whose
# file is there already is kept, so for an InfluxDB volume set up before this script (or one of its
# tokens) existed, run it again to add what is missing:
#   docker-compose exec influxdb sh /docker-entrypoint-initdb.d/scoped-tokens.sh
set -eu
org="${DOCKER_INFLUXDB_INIT_ORG:?}"
bucket="${DOCKER_INFLUXDB_INIT_BUCKET:?}"
dir="${TOKEN_DIR:-/run/influx-tokens}"

bucket_id=$(influx bucket list --org "$org" --name "$bucket" --hide-headers | cut -f1)
if [ -z "$bucket_id" ]; then
  echo "scoped-tokens: no bucket \"$bucket\" in org \"$org\"" >&2
  exit 1
fi
mkdir -p "$dir"

# $1 service, $2 --write-bucket or --read-bucket. The token is the third column of the table.
scoped_token () {
  influx auth create --org "$org" "$2" "$bucket_id" --description "factory-edge $1 ($2 $bucket)" --hide-headers | cut -f3
}

# $1 service, $2 --write-bucket or --read-bucket: writes $dir/$1.token unless it is there.
token_file () {
  file="$dir/$1.token"
  if [ -s "$file" ]; then
    echo "scoped-tokens: $file is there; kept"
    return
  fi
  (umask 077 && scoped_token "$1" "$2" > "$file.tmp")
  # A failed `influx` in the pipeline leaves the file empty (cut's status is the pipeline's).
  if [ ! -s "$file.tmp" ]; then
    rm -f "$file.tmp"
    echo "scoped-tokens: influx auth create gave no token for $1" >&2
    exit 1
  fi
  # The readers run as other users (node in the detector image, grafana and telegraf in theirs).
  chmod 644 "$file.tmp"
  mv "$file.tmp" "$file"
  echo "scoped-tokens: wrote $file ($2 $bucket)"
}

token_file detector --write-bucket
token_file grafana --read-bucket
token_file telegraf --write-bucket
