import { ref } from 'vue'
import { toApiError, type ApiError } from '@/api/errors'

/**
 * Runs an async action for a form or button: `busy` while it runs, and
 * `error` (with a message for people) when it fails. run resolves to the
 * result, or undefined after a failure, which is never rethrown.
 */
export function useAction<A extends unknown[], R>(fn: (...args: A) => Promise<R>) {
  const busy = ref(false)
  const error = ref<ApiError | null>(null)
  async function run(...args: A): Promise<R | undefined> {
    busy.value = true
    error.value = null
    try {
      return await fn(...args)
    } catch (e) {
      error.value = toApiError(e)
      return undefined
    } finally {
      busy.value = false
    }
  }
  return { busy, error, run }
}

/** Loads data for a page: `data`, `loading` until the first answer, `error`, and `reload`. */
export function useLoader<T>(fn: () => Promise<T>) {
  const data = ref<T | null>(null)
  const loading = ref(true)
  const error = ref<ApiError | null>(null)
  async function reload() {
    error.value = null
    try {
      data.value = await fn()
    } catch (e) {
      error.value = toApiError(e)
    } finally {
      loading.value = false
    }
  }
  return { data, loading, error, reload }
}
