/**
 * Where an idle client's memory goes in factory-broker (issue 17, docs/scaling.md): heap snapshots of the
 * broker process (`--heapsnapshot-signal`, which collects garbage first) before and after 2 000 idle
 * clients, each with one QoS 1 subscription, as in broker.bench.ts. Unlike the resident-memory figure,
 * which moves by several KiB between runs with the garbage collector's young generation and the
 * allocator, this one repeats to within a few bytes.
 */
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchContext } from './harness.js'
import { connectIdleClients, startFactoryBroker } from './broker.bench.js'
import { newObjectsByConstructor } from './heap-snapshot.js'

/** Signals the broker to write a snapshot into `dir` and waits until it is complete. */
async function snapshot (pid: number, dir: string): Promise<string> {
  const before = new Set(await readdir(dir))
  process.kill(pid, 'SIGUSR2')
  const deadline = Date.now() + 120_000
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    // Node writes the file under its final name while it serialises the heap.
    const file = (await readdir(dir)).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'))
    if (file !== undefined && await settled(join(dir, file))) return join(dir, file)
  }
  throw new Error('the broker wrote no heap snapshot')
}

/** True once the file has stopped growing and holds a whole JSON document. */
async function settled (file: string): Promise<boolean> {
  const size = (await stat(file)).size
  await new Promise((resolve) => setTimeout(resolve, 500))
  if ((await stat(file)).size !== size || size === 0) return false
  try {
    JSON.parse(await readFile(file, 'utf8'))
    return true
  } catch {
    return false
  }
}

export default async function (ctx: BenchContext): Promise<void> {
  const n = ctx.quick ? 500 : 2000
  const dir = await mkdtemp(join(tmpdir(), 'broker-heap-'))
  const broker = await startFactoryBroker([], ['--heapsnapshot-signal=SIGUSR2'], dir)
  try {
    // One client first, so that one-time allocations (compiled code, the first-use state of aedes and
    // Node's net) are in both snapshots.
    for (const s of await connectIdleClients(broker.port, 1, 'warm-up')) s.destroy()
    const before = await snapshot(broker.pid, dir)
    const sockets = await connectIdleClients(broker.port, n)
    const after = await snapshot(broker.pid, dir)
    for (const s of sockets) s.destroy()
    const { total, byConstructor } = await newObjectsByConstructor(before, after)
    ctx.report('broker.heap_per_idle_client_bytes', total / n, 'B')
    for (const [constructor, bytes] of byConstructor.slice(0, 12)) ctx.report(`broker heap per idle client: ${constructor}`, bytes / n, 'B')
  } finally {
    await broker.stop()
    await rm(dir, { recursive: true, force: true })
  }
}
