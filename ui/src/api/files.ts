import type { AxiosProgressEvent } from 'axios'
import { ApiError } from './errors'
import { http } from './http'
import type { DavEntry } from './types'

// The file browser speaks WebDAV to /dav/ with the session's Bearer token,
// exactly as a desktop client does with Basic; a few JSON calls help.

const davPrefix = '/dav'

/** Joins a folder path and a name: ("/", "a") → "/a", ("/a", "b") → "/a/b". */
export function joinPath(dir: string, name: string): string {
  return (dir.endsWith('/') ? dir : dir + '/') + name
}

/** The parent folder of a path: "/a/b" → "/a", "/a" → "/". */
export function parentPath(path: string): string {
  const i = path.replace(/\/+$/, '').lastIndexOf('/')
  return i <= 0 ? '/' : path.slice(0, i)
}

/** The URL of a path in the user's namespace, each segment escaped. */
export function davUrl(path: string): string {
  return davPrefix + path.split('/').map(encodeURIComponent).join('/')
}

/** Finder's and Windows' bookkeeping files, which the list leaves out. */
export function isClutter(name: string): boolean {
  return name.startsWith('._') || name === '.DS_Store' || name.toLowerCase() === 'desktop.ini'
}

const propfindBody =
  '<?xml version="1.0" encoding="utf-8"?>' +
  '<d:propfind xmlns:d="DAV:"><d:prop>' +
  '<d:resourcetype/><d:getcontentlength/><d:getlastmodified/>' +
  '</d:prop></d:propfind>'

/** The path an href names, unescaped and without the /dav prefix or a trailing slash. */
function hrefPath(href: string): string {
  let p = href
  try {
    p = new URL(href, 'http://x').pathname
  } catch {
    /* a bare path */
  }
  p = p.split('/').map(decodeURIComponent).join('/')
  if (p.startsWith(davPrefix)) p = p.slice(davPrefix.length)
  p = p.replace(/\/+$/, '')
  return p === '' ? '/' : p
}

/** Parses a PROPFIND Depth 1 answer into the entries below dir (dir itself left out). */
export function parseListing(xml: string, dir: string): DavEntry[] {
  const doc = new DOMParser().parseFromString(xml, 'application/xml')
  const self = hrefPath(dir)
  const out: DavEntry[] = []
  for (const res of Array.from(doc.getElementsByTagNameNS('DAV:', 'response'))) {
    const href = res.getElementsByTagNameNS('DAV:', 'href')[0]?.textContent ?? ''
    const path = hrefPath(href)
    if (path === self) continue
    // Only the properties of a propstat that succeeded.
    let prop: Element | undefined
    for (const ps of Array.from(res.getElementsByTagNameNS('DAV:', 'propstat'))) {
      const status = ps.getElementsByTagNameNS('DAV:', 'status')[0]?.textContent ?? ''
      if (/ 200 /.test(status + ' ')) prop = ps.getElementsByTagNameNS('DAV:', 'prop')[0]
    }
    const text = (name: string) => prop?.getElementsByTagNameNS('DAV:', name)[0]?.textContent ?? ''
    const isFolder = (prop?.getElementsByTagNameNS('DAV:', 'collection').length ?? 0) > 0
    const modified = text('getlastmodified') ? new Date(text('getlastmodified')) : null
    out.push({
      name: path.slice(path.lastIndexOf('/') + 1),
      path,
      isFolder,
      size: isFolder ? 0 : Number(text('getcontentlength')) || 0,
      modified: modified && !isNaN(modified.getTime()) ? modified : null,
    })
  }
  return out
}

/** Folders first, then by name as people sort (2 before 10). */
export function sortEntries(entries: DavEntry[]): DavEntry[] {
  return [...entries].sort(
    (a, b) =>
      Number(b.isFolder) - Number(a.isFolder) ||
      a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: 'base' }),
  )
}

export type Progress = (loaded: number, total: number) => void

export const filesApi = {
  /** The visible entries of a folder, sorted. */
  async list(dir: string): Promise<DavEntry[]> {
    const url = davUrl(dir.endsWith('/') ? dir : dir + '/')
    const res = await http.request<string>({
      method: 'PROPFIND',
      url,
      headers: { Depth: '1', 'Content-Type': 'application/xml; charset=utf-8' },
      data: propfindBody,
      responseType: 'text',
    })
    return sortEntries(parseListing(res.data, dir).filter((e) => !isClutter(e.name)))
  },

  /** Uploads one file; the server replaces the old content only once it has all of it. */
  async upload(path: string, file: Blob, onProgress?: Progress, signal?: AbortSignal): Promise<void> {
    await http.put(davUrl(path), file, {
      headers: { 'Content-Type': file.type || 'application/octet-stream' },
      signal,
      onUploadProgress: (e: AxiosProgressEvent) => onProgress?.(e.loaded, e.total ?? file.size),
    })
  },

  async mkdir(path: string): Promise<void> {
    await http.request({ method: 'MKCOL', url: davUrl(path) })
  },

  /** Renames or moves; never replaces what is at `to` (412 instead). */
  async move(from: string, to: string): Promise<void> {
    await http.request({
      method: 'MOVE',
      url: davUrl(from),
      headers: { Destination: window.location.origin + davUrl(to), Overwrite: 'F' },
    })
  },

  /** Deletes a file, or a folder with everything in it. */
  async remove(path: string): Promise<void> {
    await http.delete(davUrl(path))
  },

  /** A direct link the browser can fetch itself (S3 presigned), or null where the storage has none. */
  async downloadUrl(path: string): Promise<string | null> {
    try {
      return (await http.get<{ url: string }>('/api/v1/files/download-url', { params: { path } })).data.url
    } catch (e) {
      if (e instanceof ApiError && e.code === 'not_supported') return null
      throw e
    }
  },

  /** The content of a file, through the server. */
  async blob(path: string, onProgress?: Progress): Promise<Blob> {
    const res = await http.get<Blob>(davUrl(path), {
      responseType: 'blob',
      onDownloadProgress: (e: AxiosProgressEvent) => onProgress?.(e.loaded, e.total ?? 0),
    })
    return res.data
  },
}
