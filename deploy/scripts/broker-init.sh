#!/bin/sh
# Writes the broker's password file from the secrets in the environment (runs before the broker).
set -eu
out=/config/passwords
rm -f "$out"
for pair in "simulator:$SIMULATOR_PASSWORD" "detector:$DETECTOR_PASSWORD" "dashboard:$DASHBOARD_PASSWORD"; do
  user=${pair%%:*}
  printf '%s\n' "${pair#*:}" | node /app/broker/dist/src/bin/factory-broker.js passwd add "$user" --password-file "$out"
done
cp /acl/acl /config/acl
