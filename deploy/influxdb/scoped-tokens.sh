#!/bin/sh
# InfluxDB init script (run once by the influxdb image from /docker-entrypoint-initdb.d after its setup,
# with the admin token configured): one token per service, scoped to the one bucket, instead of handing
# out the admin token. The detector gets write access only, Grafana read access only; each token is
# written to a file in $TOKEN_DIR, a volume that service mounts read-only (INFLUX_TOKEN_FILE for the
# detector, $__file{} in Grafana's datasource). For an InfluxDB volume set up before this script existed:
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

umask 077
scoped_token detector --write-bucket > "$dir/detector.token"
scoped_token grafana --read-bucket > "$dir/grafana.token"
# The readers run as other users (node in the detector image, grafana in Grafana's).
chmod 644 "$dir/detector.token" "$dir/grafana.token"
echo "scoped-tokens: wrote $dir/detector.token (write $bucket) and $dir/grafana.token (read $bucket)"
