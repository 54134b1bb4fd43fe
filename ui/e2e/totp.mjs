// RFC 6238 TOTP (SHA-1, 6 digits, 30 s), as authenticator apps compute it.
import { createHmac } from 'node:crypto'

function base32(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const c of s.replace(/=+$/, '').toUpperCase()) {
    const v = alphabet.indexOf(c)
    if (v < 0) throw new Error(`not base32: ${c}`)
    bits += v.toString(2).padStart(5, '0')
  }
  const out = []
  for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2))
  return Buffer.from(out)
}

export const step = (ms = Date.now()) => Math.floor(ms / 1000 / 30)

export function totp(secret, counter = step()) {
  const msg = Buffer.alloc(8)
  msg.writeBigUInt64BE(BigInt(counter))
  const h = createHmac('sha1', base32(secret)).update(msg).digest()
  const o = h[h.length - 1] & 0xf
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0')
}

/**
 * Codes are accepted once, for the current step or one either side: each
 * call answers a code for a step later than the last one used, waiting
 * when the next one is not yet accepted.
 */
export function authenticator(secret) {
  let last = 0
  return async function next() {
    let s = Math.max(step(), last + 1)
    while (s > step() + 1) {
      await new Promise((r) => setTimeout(r, 1000))
      s = Math.max(step(), last + 1)
    }
    last = s
    return totp(secret, s)
  }
}
