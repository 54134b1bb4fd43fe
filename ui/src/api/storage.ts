import { http } from './http'
import type { Storage, StorageList, StorageProvider, StorageSpec } from './types'

const base = '/api/v1/storage'

/** Kinds connected by signing in to the provider rather than with a form. */
export const isDriveKind = (kind: string): boolean => kind === 'onedrive' || kind === 'gdrive'

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
  /** The cloud drives this server can connect (only those it is registered with; may be none). */
  async providers(): Promise<StorageProvider[]> {
    return (await http.get<{ providers: StorageProvider[] }>(`${base}/providers`)).data.providers ?? []
  },
  /**
   * Starts connecting provider at mount ("/" for your files, "/Name" for a folder): answers the
   * provider's sign-in page, where the browser goes next; it comes back to /storage.
   */
  async connect(provider: string, mount: string): Promise<string> {
    return (await http.post<{ url: string }>(`${base}/${encodeURIComponent(provider)}/connect`, { mount })).data.url
  },
  /**
   * Disconnects a storage: a folder is removed; your files go back to the server's disk.
   * Files stay where they are.
   */
  async disconnect(s: Pick<Storage, 'mount'>): Promise<void> {
    if (s.mount === '/') await http.put(base, { mount: '/', kind: 'local' })
    else await storageApi.remove(s.mount)
  },
}
