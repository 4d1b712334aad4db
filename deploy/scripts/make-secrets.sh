#!/bin/sh
# Writes a random secret for each file of the compose stack's `secrets:` that is not there yet (an
# existing one is kept: InfluxDB and Grafana only read theirs at their first start), in SECRETS_DIR
# (default ./secrets, as docker-compose.yml). The directory is the host's protection (0700); the files
# are readable (0644) because each container reads its mounted copy as its own user.
#   sh deploy/scripts/make-secrets.sh
set -eu
dir=${SECRETS_DIR:-./secrets}
mkdir -p "$dir"
chmod 0700 "$dir"
for name in simulator_password detector_password dashboard_password influxdb_password influxdb_admin_token grafana_admin_password gateway_password; do
  file=$dir/$name
  if [ -s "$file" ]; then
    echo "make-secrets: $file is there; kept"
    continue
  fi
  # Letters and digits only (safe in URLs, config files and shells): base64 of 48 random bytes without
  # / + =, cut to 48 characters; dropping those characters leaves a varying length, cutting a fixed one.
  head -c 48 /dev/urandom | base64 | tr -d '/+=\n' | head -c 48 > "$file.tmp"
  chmod 0644 "$file.tmp"
  mv "$file.tmp" "$file"
  echo "make-secrets: wrote $file"
done
