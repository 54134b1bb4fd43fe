import { http } from './http'
import type { StorageList, StorageSpec } from './types'

const base = '/api/v1/storage'

export const storageApi = {
  async list(): Promise<StorageList> {
    return (await http.get<StorageList>(base)).data
  },
  /** Connects (or reconnects) the storage at spec.mount; 502 if it cannot be reached. */
  async save(spec: StorageSpec): Promise<void> {
    await http.put(base, spec)
  },
  async remove(mount: string): Promise<void> {
    await http.delete(base, { params: { mount } })
  },
}
