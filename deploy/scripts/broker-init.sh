#!/bin/sh
# Writes the broker's password file from the secrets (runs before the broker): each from its variable or
# the file its _FILE variable names (compose mounts them in /run/secrets); a missing one or a
# `change-me…` placeholder stops it, naming the variable, before the old password file is touched.
# CONFIG_DIR, ACL_SOURCE and FACTORY_BROKER_JS are the container's paths unless set (the tests set them).
set -eu
. "$(dirname "$0")/secret.sh"
simulator=$(secret SIMULATOR_PASSWORD)
detector=$(secret DETECTOR_PASSWORD)
dashboard=$(secret DASHBOARD_PASSWORD)
config=${CONFIG_DIR:-/config}
out=$config/passwords
rm -f "$out"
for user in simulator detector dashboard; do
  eval "password=\$$user"
  printf '%s\n' "$password" | node "${FACTORY_BROKER_JS:-/app/broker/dist/src/bin/factory-broker.js}" passwd add "$user" --password-file "$out"
done
cp "${ACL_SOURCE:-/acl/acl}" "$config/acl"
