import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { apiError, mockHttp, tokens } from '@/test/mockHttp'
import { useSessionStore } from '@/stores/session'
import { toApiError } from './errors'
import { isDriveKind, storageApi } from './storage'

beforeEach(() => {
  setActivePinia(createPinia())
  useSessionStore().setTokens(tokens('tok') as never)
})

const body = (data: unknown) => (typeof data === 'string' ? JSON.parse(data) : data)

describe('storage providers', () => {
  it('lists the configured providers', async () => {
    const seen = mockHttp(() => [
      200,
      { providers: [{ id: 'onedrive', name: 'OneDrive' }, { id: 'gdrive', name: 'Google Drive' }] },
    ])
    expect(await storageApi.providers()).toEqual([
      { id: 'onedrive', name: 'OneDrive' },
      { id: 'gdrive', name: 'Google Drive' },
    ])
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/api/v1/storage/providers' })
    expect(seen[0].headers.authorization).toBe('Bearer tok')
  })

  it('may have none', async () => {
    mockHttp(() => [200, { providers: [] }])
    expect(await storageApi.providers()).toEqual([])
  })

  it('starts a connection and answers the sign-in page', async () => {
    const seen = mockHttp(() => [200, { url: 'https://login.example/authorize?state=x' }])
    expect(await storageApi.connect('gdrive', '/Google Drive')).toBe('https://login.example/authorize?state=x')
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/v1/storage/gdrive/connect' })
    expect(body(seen[0].data)).toEqual({ mount: '/Google Drive' })

    await storageApi.connect('onedrive', '/')
    expect(seen[1].url).toBe('/api/v1/storage/onedrive/connect')
    expect(body(seen[1].data)).toEqual({ mount: '/' })
  })

  it('passes the server refusal on', async () => {
    mockHttp(() => apiError(503, 'no_encryption_key', 'the server has no encryption key'))
    const err = await storageApi.connect('onedrive', '/OneDrive').catch((e) => e)
    expect(toApiError(err).code).toBe('no_encryption_key')
  })
})

describe('disconnect', () => {
  it('removes a folder', async () => {
    const seen = mockHttp(() => [204])
    await storageApi.disconnect({ mount: '/OneDrive' })
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({ method: 'DELETE', url: '/api/v1/storage' })
    expect(seen[0].config.params).toEqual({ mount: '/OneDrive' })
  })

  it('puts your files back on the server disk', async () => {
    const seen = mockHttp(() => [200, { storages: [{ mount: '/', kind: 'local' }], used_bytes: 0, quota_bytes: 0 }])
    await storageApi.disconnect({ mount: '/' })
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({ method: 'PUT', url: '/api/v1/storage' })
    expect(body(seen[0].data)).toEqual({ mount: '/', kind: 'local' })
  })
})

it('knows the drive kinds', () => {
  expect(isDriveKind('onedrive')).toBe(true)
  expect(isDriveKind('gdrive')).toBe(true)
  expect(isDriveKind('webdav')).toBe(false)
  expect(isDriveKind('local')).toBe(false)
})
