#!/bin/sh
# Trains a first model when there is none (runs before the detector, which refuses to start without one).
# AI4I 2020 is downloaded (and cached next to the model); without a way out to the Internet, the model
# learns from simulated readings instead. A model that is there is kept: replace it with
# `edge-detector train ... --out` (the detector watches the file and swaps it in).
set -eu
app=${APP_DIR:-/app}
model=${MODEL_PATH:-/models/model.json}
dir=$(dirname "$model")
mkdir -p "$dir"
if [ -s "$model" ]; then
  echo "model-init: $model is there; nothing to do"
  exit 0
fi
echo "model-init: no model at $model: training one on the AI4I 2020 data set"
if node "$app/edge-detector/dist/src/bin/edge-detector.js" train --download --data-dir "$dir/data" --out "$model"; then
  exit 0
fi
echo "model-init: AI4I 2020 could not be used (see above): training on simulated readings instead"
readings="$dir/simulated-readings.ndjson"
node "$app/sensor-simulator/dist/src/bin/sensor-simulator.js" generate --readings 20000 --out "$readings"
node "$app/edge-detector/dist/src/bin/edge-detector.js" train --csv "$readings" --out "$model"
rm -f "$readings"
