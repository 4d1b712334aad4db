import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Random } from '@factory-edge/shared/ml'
import { DetectorPipeline, type PipelineSink } from '../../src/index.js'
import { normalReading, payload, trainTestModel } from '@factory-edge/test-support/readings'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

function heapAfterGc (): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

test('the heap stays flat while a flood of new machine ids evicts the least recently seen', () => {
  const sink: PipelineSink = { anomaly () {}, rejected () {}, line () {}, evicted () {}, tracked () {} }
  const pipeline = new DetectorPipeline({ model: trainTestModel(), sink, maxMachines: 500 })
  const random = new Random(9)
  let n = 0
  const flood = (until: number): void => {
    for (; n < until; n++) {
      const id = `flood-${n}`
      pipeline.process(`factory/${id}/telemetry`, payload(normalReading(id, 1, 1_700_000_000_000 + n, random)))
    }
  }
  flood(10_000)
  const before = heapAfterGc()
  flood(30_000)
  const after = heapAfterGc()
  assert.equal(pipeline.machines.size, 500)
  // 20,000 more machines, each forgotten again: a leak of even 100 bytes per machine would show as 2 MB.
  assert.ok(after - before < 1_000_000, `heap grew by ${((after - before) / 1e6).toFixed(2)} MB over 20,000 evicted machines`)
})
