#!/bin/sh
# Writes Mosquitto's password file (its own $7$ format, via mosquitto_passwd) and copies the ACL. The
# secrets come as in broker-init.sh (variable or _FILE; placeholders refused, naming the variable).
set -eu
. "$(dirname "$0")/secret.sh"
simulator=$(secret SIMULATOR_PASSWORD)
detector=$(secret DETECTOR_PASSWORD)
dashboard=$(secret DASHBOARD_PASSWORD)
mkdir -p /factory/data/mosquitto
out=/factory/config/passwords
rm -f "$out"
touch "$out"
mosquitto_passwd -b "$out" simulator "$simulator"
mosquitto_passwd -b "$out" detector "$detector"
mosquitto_passwd -b "$out" dashboard "$dashboard"
cp /acl/acl /factory/config/acl
chown -R mosquitto:mosquitto /factory/config /factory/data
chmod 0700 "$out"
