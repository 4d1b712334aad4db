import { startProcess, type Child } from './child-process.js'
import { portOpen } from './ports.js'

/** Starts a private redis-server on a free loopback port, without persistence, in `dir`. */
export async function startRedis (port: number, dir: string): Promise<Child> {
  return await startProcess('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], () => portOpen(port))
}
