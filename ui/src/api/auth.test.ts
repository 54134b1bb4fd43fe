import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { mockHttp } from '@/test/mockHttp'
import { authApi } from './auth'

beforeEach(() => setActivePinia(createPinia()))

describe('sign-up mode', () => {
  it('is asked anonymously and returned as is', async () => {
    const seen = mockHttp(() => [200, { mode: 'invite' }])
    expect(await authApi.signupMode()).toBe('invite')
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/api/v1/auth/signup' })
    expect(seen[0].headers.authorization).toBeUndefined()
  })
})
