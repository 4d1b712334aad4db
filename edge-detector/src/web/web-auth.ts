import { randomBytes, timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'
import type { IncomingMessage, ServerResponse } from 'node:http'

const COOKIE = 'factory_edge_ui'

/** True for an address only this computer can reach: 'localhost', 127.0.0.0/8, ::1. */
export function isLoopback (host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  if (h === 'localhost' || h === '::1') return true
  if (isIP(h) === 4) return h.startsWith('127.')
  return h.startsWith('::ffff:127.')
}

/** A token for a web view bound beyond loopback when none was configured. */
export function generateToken (): string {
  return randomBytes(18).toString('base64url')
}

/**
 * Access to the web view when it is reachable from other computers: the token as a bearer token, as
 * the password of HTTP basic auth (any user name), or once as `?token=` in the address, which sets a
 * cookie so that the page's own requests (and its event stream, which cannot send headers) carry it.
 */
export class WebAuth {
  private readonly expected: Buffer | undefined

  /** `token` undefined: everyone allowed (loopback). */
  constructor (token: string | undefined) {
    this.expected = token === undefined ? undefined : Buffer.from(token)
  }

  get required (): boolean {
    return this.expected !== undefined
  }

  /** True when the request may proceed; otherwise the response (401 or a redirect) is sent. */
  admit (req: IncomingMessage, res: ServerResponse): boolean {
    if (this.expected === undefined) return true
    const url = new URL(req.url ?? '/', 'http://x')
    const fromQuery = url.searchParams.get('token')
    if (fromQuery !== null && this.matches(fromQuery)) {
      url.searchParams.delete('token')
      res.writeHead(303, {
        location: url.pathname + url.search,
        'set-cookie': `${COOKIE}=${encodeURIComponent(fromQuery)}; Path=/ui; HttpOnly; SameSite=Strict`
      }).end()
      return false
    }
    if (this.presented(req).some((t) => this.matches(t))) return true
    res.writeHead(401, { 'www-authenticate': 'Basic realm="factory-edge web view", charset="UTF-8"', 'content-type': 'text/plain' })
      .end('this web view needs its token: as the password (any user name), or open /ui/?token=<token> once\n')
    return false
  }

  private presented (req: IncomingMessage): string[] {
    const out: string[] = []
    const auth = req.headers.authorization ?? ''
    if (auth.startsWith('Bearer ')) out.push(auth.slice(7).trim())
    if (auth.startsWith('Basic ')) {
      const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8')
      out.push(decoded.slice(decoded.indexOf(':') + 1))
    }
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [name, value] = part.trim().split('=', 2)
      if (name === COOKIE && value !== undefined) out.push(decodeURIComponent(value))
    }
    return out
  }

  private matches (token: string): boolean {
    const given = Buffer.from(token)
    return this.expected !== undefined && given.length === this.expected.length && timingSafeEqual(given, this.expected)
  }
}
