import { computed, onBeforeUnmount, onMounted, reactive, ref } from 'vue'
import { toApiError } from '@/api/errors'
import { filesApi, joinPath } from '@/api/files'

export interface Upload {
  id: number
  name: string
  /** the folder it goes into */
  dir: string
  size: number
  loaded: number
  state: 'queued' | 'uploading' | 'done' | 'failed' | 'cancelled'
  error?: string
}

let nextId = 1

/**
 * An upload queue with progress per file, a few files at a time. onDone
 * runs after each finished file (to refresh the list). While files are
 * uploading, leaving the page asks first.
 */
export function useUploads(onDone: (u: Upload) => void, concurrency = 3) {
  const uploads = ref<Upload[]>([])
  const files = new Map<number, File>()
  const controllers = new Map<number, AbortController>()

  const active = computed(() => uploads.value.filter((u) => u.state === 'queued' || u.state === 'uploading').length)

  function add(dir: string, list: Iterable<File>) {
    for (const f of list) {
      const u = reactive<Upload>({ id: nextId++, name: f.name, dir, size: f.size, loaded: 0, state: 'queued' })
      files.set(u.id, f)
      uploads.value.push(u)
    }
    pump()
  }

  function pump() {
    const running = uploads.value.filter((u) => u.state === 'uploading').length
    const next = uploads.value.filter((u) => u.state === 'queued').slice(0, Math.max(0, concurrency - running))
    next.forEach(start)
  }

  async function start(u: Upload) {
    const file = files.get(u.id)!
    const ctl = new AbortController()
    controllers.set(u.id, ctl)
    u.state = 'uploading'
    try {
      await filesApi.upload(joinPath(u.dir, u.name), file, (loaded) => (u.loaded = loaded), ctl.signal)
      u.loaded = u.size
      u.state = 'done'
      onDone(u)
    } catch (e) {
      // cancel() may have run meanwhile.
      if ((u.state as Upload['state']) !== 'cancelled') {
        u.state = 'failed'
        u.error = toApiError(e).message
      }
    } finally {
      controllers.delete(u.id)
      files.delete(u.id)
      pump()
    }
  }

  function cancel(u: Upload) {
    if (u.state !== 'queued' && u.state !== 'uploading') return
    u.state = 'cancelled'
    controllers.get(u.id)?.abort()
    files.delete(u.id)
  }

  /** Forgets the finished, failed and cancelled ones. */
  function clearFinished() {
    uploads.value = uploads.value.filter((u) => u.state === 'queued' || u.state === 'uploading')
  }

  function warn(e: BeforeUnloadEvent) {
    if (active.value > 0) e.preventDefault()
  }
  onMounted(() => window.addEventListener('beforeunload', warn))
  onBeforeUnmount(() => window.removeEventListener('beforeunload', warn))

  return { uploads, active, add, cancel, clearFinished }
}
