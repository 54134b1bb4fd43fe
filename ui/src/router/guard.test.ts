import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { mockHttp, tokens } from '@/test/mockHttp'
import { useSessionStore } from '@/stores/session'
import { guard, routes } from './index'

function router() {
  const r = createRouter({ history: createMemoryHistory(), routes })
  r.beforeEach(guard)
  return r
}

beforeEach(() => {
  setActivePinia(createPinia())
  localStorage.clear()
  mockHttp(() => [200, {}])
})

describe('the route guard', () => {
  it('sends visitors to sign-in and remembers where they were going', async () => {
    const r = router()
    await r.push('/files/Docs')
    expect(r.currentRoute.value.name).toBe('signin')
    expect(r.currentRoute.value.query.next).toBe('/files/Docs')
  })

  it('lets signed-in users in, and keeps them off sign-in', async () => {
    useSessionStore().setTokens(tokens('t') as never)
    const r = router()
    await r.push('/security')
    expect(r.currentRoute.value.name).toBe('security')
    await r.push('/signin')
    expect(r.currentRoute.value.name).toBe('home')
  })

  it('keeps the admin page for administrators', async () => {
    useSessionStore().setTokens(tokens('t', { is_admin: false }) as never)
    const r = router()
    await r.push('/admin')
    expect(r.currentRoute.value.name).toBe('home')
    useSessionStore().setTokens(tokens('t', { is_admin: true }) as never)
    await r.push('/admin')
    expect(r.currentRoute.value.name).toBe('admin')
  })

  it('waits for the page-load refresh before deciding', async () => {
    localStorage.setItem('docuvault.signed-in', '1')
    mockHttp((c) => (c.url === '/api/v1/auth/refresh' ? [200, tokens('t')] : [200, { ...tokens('t').user, recovery_codes_left: 0 }]))
    const r = router()
    await r.push('/files')
    expect(r.currentRoute.value.name).toBe('files')
  })

  it('shows a not-found page for unknown addresses', async () => {
    const r = router()
    await r.push('/no/such/page')
    expect(r.currentRoute.value.name).toBe('not-found')
  })
})
