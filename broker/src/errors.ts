import { FactoryEdgeError } from '@factory-edge/shared/errors'

/** A malformed or unreadable ACL file; the message names the file and line. A configuration mistake. */
export class AclError extends FactoryEdgeError {
  override name = 'AclError'
  override readonly code = 'ERR_ACL_FILE'
  override readonly exitCode = 2
}

/** A password file line or hash that cannot be used, or a file that cannot be read; the message names the file and line. */
export class PasswordFileError extends FactoryEdgeError {
  override name = 'PasswordFileError'
  override readonly code = 'ERR_PASSWORD_FILE'
  override readonly exitCode = 2
}

/** Raised when a client announces a packet larger than the limit, before its body is buffered. */
export class PacketTooLargeError extends FactoryEdgeError {
  override name = 'PacketTooLargeError'
  override readonly code = 'ERR_PACKET_TOO_LARGE'
  constructor (readonly size: number, readonly limit: number) {
    super(`packet of ${size} bytes exceeds the maximum packet size of ${limit} bytes`)
  }
}

/**
 * A packet that breaks MQTT 3.1.1 in a way that obliges the server to close the connection (§4.8);
 * `statement` names the normative statement, e.g. MQTT-1.5.3-1.
 */
export class ProtocolViolationError extends FactoryEdgeError {
  override name = 'ProtocolViolationError'
  override readonly code = 'ERR_PROTOCOL_VIOLATION'
  constructor (message: string, readonly statement: string) {
    super(`${message} (${statement})`)
  }
}
