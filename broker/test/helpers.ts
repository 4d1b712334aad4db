import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { createLogger, type Logger } from '@factory-edge/shared/runtime'

/** A logger that writes nothing unless TEST_LOG is set. */
export function quietLogger (): Logger {
  return createLogger('broker-test', { level: process.env.TEST_LOG !== undefined ? 'debug' : 'silent', format: 'json' })
}

/**
 * Connects without retries; rejects with the CONNACK error (e.g. code 5) or a socket error.
 * `onMessage` is attached before CONNECT: a resumed session's queued messages can arrive in the same
 * read as the CONNACK, before a handler attached after the promise resolves would see them.
 */
export function connect (url: string, options: IClientOptions = {}, onMessage?: (topic: string, payload: Buffer) => void): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 10000, ...options })
    if (onMessage !== undefined) client.on('message', onMessage)
    const onError = (err: Error): void => {
      client.end(true)
      reject(err)
    }
    const onClose = (): void => onError(new Error('connection closed before CONNACK'))
    client.once('error', onError)
    client.once('close', onClose)
    client.once('connect', () => {
      client.off('error', onError)
      client.off('close', onClose)
      resolve(client)
    })
  })
}

/** Resolves with the next message on a topic filter's subscription, or rejects after `ms`. */
export function nextMessage (client: MqttClient, predicate: (topic: string, payload: Buffer) => boolean = () => true, ms = 10000): Promise<{ topic: string, payload: Buffer }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage)
      reject(new Error(`no matching message within ${ms} ms`))
    }, ms)
    const onMessage = (topic: string, payload: Buffer): void => {
      if (!predicate(topic, payload)) return
      clearTimeout(timer)
      client.off('message', onMessage)
      resolve({ topic, payload })
    }
    client.on('message', onMessage)
  })
}

/** Ends an MQTT client, ignoring errors. */
export async function endClient (client: MqttClient | undefined): Promise<void> {
  if (client === undefined) return
  await client.endAsync(true).catch(() => {})
}

/** A self-signed certificate for localhost / 127.0.0.1, made by the openssl CLI in `dir`. */
export function selfSignedCertificate (dir: string): { certFile: string, keyFile: string } {
  const certFile = join(dir, 'cert.pem')
  const keyFile = join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' })
  return { certFile, keyFile }
}
