import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, expect, it } from 'vitest'
import { defineComponent, nextTick } from 'vue'
import type { InternalAxiosRequestConfig } from 'axios'
import { mockHttp, tokens, type Reply } from '@/test/mockHttp'
import { useSessionStore } from '@/stores/session'
import { useUploads, type Upload } from './useUploads'

beforeEach(() => {
  setActivePinia(createPinia())
  useSessionStore().setTokens(tokens('t') as never)
})

/** useUploads inside a component, as FilesView uses it. */
function setup(concurrency = 2) {
  const done: string[] = []
  let api!: ReturnType<typeof useUploads>
  mount(
    defineComponent({
      setup() {
        api = useUploads((u: Upload) => done.push(u.name), concurrency)
        return () => null
      },
    }),
  )
  return { api, done }
}

/** A server that holds each PUT until the test answers it. */
function heldServer() {
  const pending: { config: InternalAxiosRequestConfig; answer: (r: Reply) => void }[] = []
  mockHttp((config) => new Promise<Reply>((answer) => pending.push({ config, answer })))
  return pending
}

const file = (name: string, size = 4) => new File(['x'.repeat(size)], name)
const flush = () => new Promise((r) => setTimeout(r, 0))

it('uploads a few at a time, with progress per file, and reports each one done', async () => {
  const pending = heldServer()
  const { api, done } = setup(2)
  api.add('/Docs', [file('a.txt'), file('b.txt'), file('c.txt')])
  await flush()
  expect(pending.map((p) => p.config.url)).toEqual(['/dav/Docs/a.txt', '/dav/Docs/b.txt'])
  expect(api.uploads.value.map((u) => u.state)).toEqual(['uploading', 'uploading', 'queued'])

  pending[0].config.onUploadProgress?.({ loaded: 2, total: 4, bytes: 2, lengthComputable: true })
  await nextTick()
  expect(api.uploads.value[0].loaded).toBe(2)

  pending[0].answer([201])
  await flush()
  expect(done).toEqual(['a.txt'])
  expect(api.uploads.value[0].state).toBe('done')
  expect(pending.map((p) => p.config.url)).toContain('/dav/Docs/c.txt') // the queue moved on
  expect(api.active.value).toBe(2)
})

it('shows why a file failed, in plain words, and goes on with the others', async () => {
  const pending = heldServer()
  const { api, done } = setup(1)
  api.add('/', [file('huge.iso'), file('small.txt')])
  await flush()
  pending[0].answer([507])
  await flush()
  expect(api.uploads.value[0]).toMatchObject({ state: 'failed', error: 'Not enough space: this would go over your quota.' })
  pending[1].answer([201])
  await flush()
  expect(done).toEqual(['small.txt'])
})

it('cancels an upload in flight, and clears finished ones', async () => {
  const pending = heldServer()
  const { api } = setup(1)
  api.add('/', [file('a'), file('b')])
  await flush()
  const signal = pending[0].config.signal as AbortSignal
  api.cancel(api.uploads.value[0])
  expect(signal.aborted).toBe(true)
  expect(api.uploads.value[0].state).toBe('cancelled')
  pending[0].answer([0]) // the aborted request fails
  await flush()
  expect(api.uploads.value[0].state).toBe('cancelled')
  expect(api.uploads.value[0].error).toBeUndefined()
  pending[1].answer([201])
  await flush()
  api.clearFinished()
  expect(api.uploads.value).toEqual([])
})
