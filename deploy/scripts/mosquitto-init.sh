#!/bin/sh
# Writes Mosquitto's password file (its own $7$ format, via mosquitto_passwd) and copies the ACL.
set -eu
mkdir -p /factory/data/mosquitto
out=/factory/config/passwords
rm -f "$out"
touch "$out"
mosquitto_passwd -b "$out" simulator "$SIMULATOR_PASSWORD"
mosquitto_passwd -b "$out" detector "$DETECTOR_PASSWORD"
mosquitto_passwd -b "$out" dashboard "$DASHBOARD_PASSWORD"
cp /acl/acl /factory/config/acl
chown -R mosquitto:mosquitto /factory/config /factory/data
chmod 0700 "$out"
