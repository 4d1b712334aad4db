import mqttPacket from 'mqtt-packet'

/**
 * mqtt-packet's writer, which aedes writes every packet with, builds a table of 65 536 two-byte Buffers
 * on its first packet, one for each value of a 16-bit length or packet identifier, and keeps it for the
 * life of the process: several MB of heap that a fresh broker adds with its first client, whether it then
 * serves one client or thousands (docs/scaling.md). With the table off (mqtt-packet's own
 * `cacheNumbers` switch) it writes each such number into a fresh two-byte Buffer; the bytes on the wire
 * are the same.
 *
 * The switch is global to the process' copy of mqtt-packet; it is turned off before the first packet.
 */
export function writeNumbersWithoutTable (): void {
  mqttPacket.writeToStream.cacheNumbers = false
}
