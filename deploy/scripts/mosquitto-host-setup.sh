#!/bin/sh
# Prepares the repository for `mosquitto -c mosquitto.conf` started as root (e.g. by systemd or sudo):
# Mosquitto then drops to its own user (`mosquitto`, or MOSQUITTO_USER), which must be able to write
# the persistence directory and read the password file, or every autosave fails and sessions and
# retained messages are lost at each restart. Run from the repository root, as root:
#   sudo deploy/scripts/mosquitto-host-setup.sh
# (Not needed when Mosquitto runs as an ordinary user who owns the checkout, nor with docker-compose,
# whose mosquitto-init service does the same in its volumes.)
set -eu
user=${MOSQUITTO_USER:-mosquitto}
install -d -o "$user" -g "$user" -m 0700 data/mosquitto
if [ -f config/passwords ]; then
  chown "$user:$user" config/passwords
  chmod 0600 config/passwords
fi
