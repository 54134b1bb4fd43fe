import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { apiError, mockHttp, tokens } from '@/test/mockHttp'
import { useSessionStore } from '@/stores/session'
import { ApiError } from './errors'
import { http } from './http'

beforeEach(() => {
  setActivePinia(createPinia())
  localStorage.clear()
})

function signedIn(token = 'old') {
  const s = useSessionStore()
  s.setTokens(tokens(token) as never)
  return s
}

describe('the axios instance', () => {
  it('has no timeout, so long uploads are not cut off', () => {
    expect(http.defaults.timeout ?? 0).toBe(0)
  })

  it('sends the access token from the store, and X-Requested-With', async () => {
    signedIn('tok-1')
    const seen = mockHttp(() => [200, {}])
    await http.get('/api/v1/auth/me')
    expect(seen[0].headers['authorization']).toBe('Bearer tok-1')
    expect(seen[0].headers['x-requested-with']).toBe('XMLHttpRequest')
  })

  it('sends no token on anonymous requests', async () => {
    signedIn('tok-1')
    const seen = mockHttp(() => [200, {}])
    await http.post('/api/v1/auth/signin', {}, { anonymous: true })
    expect(seen[0].headers['authorization']).toBeUndefined()
  })

  it('refreshes once on 401 and retries the request with the new token', async () => {
    const session = signedIn('old')
    const seen = mockHttp((c) => {
      if (c.url === '/api/v1/auth/refresh') return [200, tokens('new')]
      return c.headers.get('Authorization') === 'Bearer new' ? [200, { ok: true }] : apiError(401, 'invalid_token', 'expired')
    })
    const res = await http.get('/api/v1/auth/me')
    expect(res.data).toEqual({ ok: true })
    expect(seen.map((r) => r.url)).toEqual(['/api/v1/auth/me', '/api/v1/auth/refresh', '/api/v1/auth/me'])
    // The refresh rides on the cookie alone, with the CSRF header.
    expect(seen[1].headers['authorization']).toBeUndefined()
    expect(seen[1].headers['x-requested-with']).toBe('XMLHttpRequest')
    expect(session.accessToken).toBe('new')
  })

  it('shares one refresh between requests that get 401 together', async () => {
    signedIn('old')
    let refreshes = 0
    const seen = mockHttp(async (c) => {
      if (c.url === '/api/v1/auth/refresh') {
        refreshes++
        await new Promise((r) => setTimeout(r, 10))
        return [200, tokens('new')]
      }
      return c.headers.get('Authorization') === 'Bearer new' ? [200, c.url] : apiError(401, 'invalid_token', 'expired')
    })
    const got = await Promise.all(['/a', '/b', '/c'].map((u) => http.get(u).then((r) => r.data)))
    expect(got).toEqual(['/a', '/b', '/c'])
    expect(refreshes).toBe(1)
    expect(seen.filter((r) => r.url !== '/api/v1/auth/refresh')).toHaveLength(6)
  })

  it('retries only once: a second 401 is the answer', async () => {
    signedIn('old')
    let refreshes = 0
    mockHttp((c) => {
      if (c.url === '/api/v1/auth/refresh') return (refreshes++, [200, tokens('new')])
      return apiError(401, 'invalid_token', 'the token is invalid')
    })
    const err = await http.get('/x').catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(401)
    expect(refreshes).toBe(1)
  })

  it('ends the session when the refresh is refused, and rejects the request', async () => {
    const session = signedIn('old')
    mockHttp((c) =>
      c.url === '/api/v1/auth/refresh'
        ? apiError(401, 'invalid_token', 'the session has expired or was ended; sign in')
        : apiError(401, 'invalid_token', 'expired'),
    )
    const err = await http.get('/x').catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(session.signedIn).toBe(false)
    expect(session.accessToken).toBeNull()
  })

  it('does not refresh for anonymous requests (a wrong password is just an error)', async () => {
    const seen = mockHttp(() => apiError(401, 'bad_credentials', 'wrong username or password'))
    const err = await http.post('/api/v1/auth/signin', {}, { anonymous: true }).catch((e) => e)
    expect(err.message).toBe('Wrong username or password.')
    expect(seen).toHaveLength(1)
  })

  it('uses a token another request already refreshed instead of refreshing again', async () => {
    const session = signedIn('old')
    let refreshes = 0
    mockHttp(async (c) => {
      if (c.url === '/api/v1/auth/refresh') return (refreshes++, [200, tokens('new')])
      if (c.headers.get('Authorization') === 'Bearer new') return [200, 'ok']
      session.setTokens(tokens('new') as never) // refreshed meanwhile
      return apiError(401, 'invalid_token', 'expired')
    })
    expect((await http.get('/x')).data).toBe('ok')
    expect(refreshes).toBe(0)
  })

  it('refreshes a token about to expire before sending', async () => {
    const session = useSessionStore()
    session.setTokens(tokens('almost', {}, 10) as never) // 10 s left
    const seen = mockHttp((c) => (c.url === '/api/v1/auth/refresh' ? [200, tokens('fresh')] : [200, 'ok']))
    await http.get('/x')
    expect(seen.map((r) => r.url)).toEqual(['/api/v1/auth/refresh', '/x'])
    expect(seen[1].headers['authorization']).toBe('Bearer fresh')
  })
})

describe('errors in plain words', () => {
  it('takes the API message, as a sentence, with its code and field', async () => {
    mockHttp(() => apiError(400, 'invalid_input', "username: use 1-64 letters, digits, '.', '_' or '-'"))
    const err: ApiError = await http.post('/api/v1/auth/signup', {}, { anonymous: true }).catch((e) => e)
    expect(err.status).toBe(400)
    expect(err.code).toBe('invalid_input')
    expect(err.field).toBe('username')
    expect(err.message).toBe("Username: use 1-64 letters, digits, '.', '_' or '-'.")
  })

  it('explains WebDAV statuses, which have no JSON', async () => {
    signedIn()
    mockHttp(() => [507, 'Insufficient Storage'])
    const err: ApiError = await http.put('/dav/big.iso', 'x').catch((e) => e)
    expect(err.message).toBe('Not enough space: this would go over your quota.')
  })

  it('says when the server cannot be reached', async () => {
    mockHttp(() => [0])
    const err: ApiError = await http.get('/x', { anonymous: true }).catch((e) => e)
    expect(err.status).toBe(0)
    expect(err.message).toMatch(/Cannot reach the server/)
  })

  it('keeps Retry-After', async () => {
    mockHttp(() => [...apiError(429, 'too_many_requests', 'too many failed attempts; try again in 30 s'), { 'retry-after': '30' }] as never)
    const err: ApiError = await http.post('/x', {}, { anonymous: true }).catch((e) => e)
    expect(err.retryAfter).toBe(30)
    expect(err.message).toBe('Too many failed attempts; try again in 30 s.')
  })
})
