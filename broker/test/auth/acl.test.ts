import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AclError, isAllowed, parseAcl } from '../../src/index.js'

const acl = parseAcl(`
# anonymous
topic read public/#
user alice
topic readwrite lab/#
topic deny lab/secret
topic write out/+
pattern read in/%u/#
pattern write dev/%c/up
`)

test('anonymous rules come before the first user line', () => {
  assert.equal(isAllowed(acl, undefined, 'c', 'read', 'public/a/b'), true)
  assert.equal(isAllowed(acl, undefined, 'c', 'write', 'public/a'), false)
  assert.equal(isAllowed(acl, 'alice', 'c', 'read', 'public/a'), false)
})

test('read, write, readwrite and deny', () => {
  assert.equal(isAllowed(acl, 'alice', 'c', 'write', 'lab/x'), true)
  assert.equal(isAllowed(acl, 'alice', 'c', 'read', 'lab/x'), true)
  assert.equal(isAllowed(acl, 'alice', 'c', 'read', 'lab/secret'), false)
  assert.equal(isAllowed(acl, 'alice', 'c', 'write', 'lab/secret'), false)
  assert.equal(isAllowed(acl, 'alice', 'c', 'write', 'out/1'), true)
  assert.equal(isAllowed(acl, 'alice', 'c', 'read', 'out/1'), false)
  assert.equal(isAllowed(acl, 'alice', 'c', 'write', 'out/1/2'), false)
  assert.equal(isAllowed(acl, 'bob', 'c', 'write', 'lab/x'), false)
})

test('patterns substitute %u and %c, and ignore values that would act as wildcards', () => {
  assert.equal(isAllowed(acl, 'bob', 'c', 'read', 'in/bob/x'), true)
  assert.equal(isAllowed(acl, 'bob', 'c', 'read', 'in/alice/x'), false)
  assert.equal(isAllowed(acl, undefined, 'c', 'read', 'in/undefined/x'), false)
  assert.equal(isAllowed(acl, 'bob', 'm7', 'write', 'dev/m7/up'), true)
  assert.equal(isAllowed(acl, 'bob', 'm8', 'write', 'dev/m7/up'), false)
  assert.equal(isAllowed(acl, 'a/b', 'c', 'read', 'in/a/b/x'), false)
  assert.equal(isAllowed(acl, 'bob', '+', 'write', 'dev/+/up'), false)
})

test('a subscription is refused when it can match no readable topic or a deny rule covers it entirely', () => {
  assert.equal(isAllowed(acl, 'alice', 'c', 'subscribe', 'lab/#'), true)
  assert.equal(isAllowed(acl, 'alice', 'c', 'subscribe', '#'), true, '# also matches lab/x')
  assert.equal(isAllowed(acl, 'alice', 'c', 'subscribe', '+/x'), true)
  assert.equal(isAllowed(acl, 'alice', 'c', 'subscribe', 'out/+'), false, 'write-only')
  assert.equal(isAllowed(acl, 'alice', 'c', 'subscribe', 'other/#'), false)
  assert.equal(isAllowed(acl, 'alice', 'c', 'subscribe', 'lab'), true, 'lab/# also matches lab')
  assert.equal(isAllowed(acl, 'alice', 'c', 'subscribe', 'lab/secret'), false, 'deny lab/secret covers it')
  assert.equal(isAllowed(acl, 'alice', 'c', 'subscribe', 'lab/+'), true, 'partial overlap: deny is applied per delivery')
  assert.equal(isAllowed(acl, undefined, 'c', 'subscribe', 'public/+/b'), true)
  assert.equal(isAllowed(acl, undefined, 'c', 'subscribe', 'public2/+'), false)
})

test('which filters a deny rule covers', () => {
  const denying = parseAcl('user u\ntopic readwrite #\ntopic readwrite $x/#\ntopic deny a/#\ntopic deny b/+/c\ntopic deny +/d')
  const subscribe = (filter: string): boolean => isAllowed(denying, 'u', 'c', 'subscribe', filter)
  assert.equal(subscribe('a'), false, 'a/# also matches a')
  assert.equal(subscribe('a/#'), false)
  assert.equal(subscribe('a/+/x'), false)
  assert.equal(subscribe('b/+/c'), false)
  assert.equal(subscribe('b/x/c'), false)
  assert.equal(subscribe('x/d'), false)
  assert.equal(subscribe('b/+/+'), true, 'b/x/y is readable')
  assert.equal(subscribe('b/#'), true)
  assert.equal(subscribe('+/+'), true)
  assert.equal(subscribe('#'), true)
  assert.equal(subscribe('$x/d'), true, '+/d matches no $-topic')
})

test('$ topics are not matched by leading wildcards', () => {
  const wide = parseAcl('user u\ntopic readwrite #\ntopic read +/x')
  assert.equal(isAllowed(wide, 'u', 'c', 'read', '$SYS/x'), false)
  assert.equal(isAllowed(wide, 'u', 'c', 'subscribe', '$SYS/#'), false)
  assert.equal(isAllowed(parseAcl('user u\ntopic read $SYS/#'), 'u', 'c', 'subscribe', '$SYS/#'), true)
})

test('malformed lines are refused with the line number', () => {
  assert.throws(() => parseAcl('user alice\ntopic'), (err: Error) => err instanceof AclError && /:2: missing topic/.test(err.message))
  assert.throws(() => parseAcl('topics read a'), /:1: expected "user", "topic" or "pattern"/)
  assert.throws(() => parseAcl('topic read a/#/b'), /invalid wildcard/)
  assert.throws(() => parseAcl('topic read a+'), /invalid wildcard/)
  assert.throws(() => parseAcl('topic read'), /missing topic after the access type/)
  assert.throws(() => parseAcl('user'), /missing user name/)
})

test('the shipped config/acl parses', async () => {
  const { loadAcl } = await import('../../src/index.js')
  const shipped = await loadAcl('config/acl')
  assert.equal(isAllowed(shipped, 'machine-1', 'machine-1', 'write', 'factory/machine-1/telemetry'), true)
  assert.equal(isAllowed(shipped, 'detector', 'd', 'write', 'factory/machine-1/anomalies'), true)
  assert.equal(isAllowed(shipped, undefined, 'anon', 'read', 'factory/machine-1/anomalies'), false)
})
