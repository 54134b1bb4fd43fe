import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { ApiError } from '@/api/errors'
import { apiError, mockHttp, tokens } from '@/test/mockHttp'
import { sessionHint, useSessionStore } from './session'

const me = { ...tokens('x').user, recovery_codes_left: 0 }

beforeEach(() => {
  setActivePinia(createPinia())
  localStorage.clear()
})

/** Everything the page keeps in web storage. */
const stored = () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })

describe('session store', () => {
  it('signs in with a password and keeps the token in memory only', async () => {
    const seen = mockHttp(() => [200, tokens('secret-access-token')])
    const s = useSessionStore()
    expect(await s.signIn('alice', 'pw')).toBe('done')
    expect(seen[0].data).toBe(JSON.stringify({ login: 'alice', password: 'pw' }))
    expect(s.signedIn).toBe(true)
    expect(s.accessToken).toBe('secret-access-token')
    expect(s.user?.username).toBe('alice')
    expect(stored()).not.toContain('secret-access-token')
    expect(sessionHint.get()).toBe(true)
  })

  it('asks for the second factor, then completes with a code', async () => {
    const seen = mockHttp((c) =>
      c.url === '/api/v1/auth/signin'
        ? [200, { two_factor_required: true, challenge: 'ch-1', expires_in: 300 }]
        : [200, tokens('t2')],
    )
    const s = useSessionStore()
    expect(await s.signIn('alice', 'pw')).toBe('two_factor')
    expect(s.signedIn).toBe(false)
    expect(s.challenge).toBe('ch-1')
    await s.signIn2FA({ code: '123456' })
    expect(JSON.parse(seen[1].data as string)).toEqual({ challenge: 'ch-1', code: '123456' })
    expect(s.signedIn).toBe(true)
    expect(s.challenge).toBeNull()
  })

  it('completes with a recovery code too', async () => {
    const seen = mockHttp((c) =>
      c.url === '/api/v1/auth/signin' ? [200, { two_factor_required: true, challenge: 'ch', expires_in: 300 }] : [200, tokens('t')],
    )
    const s = useSessionStore()
    await s.signIn('alice', 'pw')
    await s.signIn2FA({ recovery_code: 'abcd-efgh' })
    expect(JSON.parse(seen[1].data as string)).toEqual({ challenge: 'ch', recovery_code: 'abcd-efgh' })
  })

  it('keeps the challenge after a wrong code, and drops an expired one', async () => {
    let answer = apiError(401, 'invalid_code', 'the code is wrong, expired or already used')
    mockHttp((c) =>
      c.url === '/api/v1/auth/signin' ? [200, { two_factor_required: true, challenge: 'ch', expires_in: 300 }] : answer,
    )
    const s = useSessionStore()
    await s.signIn('alice', 'pw')
    await expect(s.signIn2FA({ code: '000000' })).rejects.toThrow('The code is wrong, expired or already used.')
    expect(s.challenge).toBe('ch') // try another code
    answer = apiError(401, 'invalid_token', 'the sign-in challenge is invalid or expired; sign in again')
    await expect(s.signIn2FA({ code: '111111' })).rejects.toBeInstanceOf(ApiError)
    expect(s.challenge).toBeNull() // back to the password
  })

  it('restores a session on page load from the refresh cookie', async () => {
    sessionHint.set(true)
    const seen = mockHttp((c) => (c.url === '/api/v1/auth/refresh' ? [200, tokens('restored')] : [200, me]))
    const s = useSessionStore()
    await Promise.all([s.restore(), s.restore()]) // the router may ask twice
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /api/v1/auth/refresh', 'GET /api/v1/auth/me'])
    expect(seen[1].headers['authorization']).toBe('Bearer restored')
    expect(s.signedIn).toBe(true)
    expect(s.ready).toBe(true)
  })

  it('does not try the cookie when this browser never signed in', async () => {
    const seen = mockHttp(() => [200, tokens('x')])
    const s = useSessionStore()
    await s.restore()
    expect(seen).toHaveLength(0)
    expect(s.signedIn).toBe(false)
    expect(s.ready).toBe(true)
  })

  it('forgets the hint when the cookie no longer works', async () => {
    sessionHint.set(true)
    mockHttp(() => apiError(401, 'invalid_token', 'no refresh cookie; sign in'))
    const s = useSessionStore()
    await s.restore()
    expect(s.signedIn).toBe(false)
    expect(sessionHint.get()).toBe(false)
  })

  it('keeps the session when the server is unreachable during a refresh', async () => {
    const s = useSessionStore()
    mockHttp(() => [200, tokens('a')])
    await s.signIn('alice', 'pw')
    mockHttp(() => [0])
    expect(await s.refresh()).toBeNull()
    expect(s.accessToken).toBe('a')
  })

  it('signs out: tells the server, and forgets everything', async () => {
    const seen = mockHttp((c) => (c.url === '/api/v1/auth/logout' ? [204] : [200, tokens('a')]))
    const s = useSessionStore()
    await s.signIn('alice', 'pw')
    await s.signOut()
    expect(seen.at(-1)?.url).toBe('/api/v1/auth/logout')
    expect(seen.at(-1)?.headers['authorization']).toBe('Bearer a')
    expect(s.signedIn).toBe(false)
    expect(s.user).toBeNull()
    expect(sessionHint.get()).toBe(false)
  })

  it('signs out locally even when the server call fails', async () => {
    const s = useSessionStore()
    mockHttp(() => [200, tokens('a')])
    await s.signIn('alice', 'pw')
    mockHttp(() => [0])
    await expect(s.signOut()).rejects.toBeInstanceOf(ApiError)
    expect(s.signedIn).toBe(false)
  })

  it('keeps what /auth/me added across a refresh of the same user', async () => {
    const s = useSessionStore()
    mockHttp((c) => (c.url === '/api/v1/auth/me' ? [200, { ...me, recovery_codes_left: 7 }] : [200, tokens('a')]))
    await s.signIn('alice', 'pw')
    await s.loadMe()
    await s.refresh()
    expect((s.user as typeof me).recovery_codes_left).toBe(7)
  })
})
