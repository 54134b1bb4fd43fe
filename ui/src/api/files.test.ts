import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { mockHttp, tokens } from '@/test/mockHttp'
import { useSessionStore } from '@/stores/session'
import { davUrl, filesApi, isClutter, joinPath, parentPath, parseListing, sortEntries } from './files'

beforeEach(() => {
  setActivePinia(createPinia())
  useSessionStore().setTokens(tokens('tok') as never)
})

function multistatus(dir: string, entries: { href: string; folder?: boolean; size?: number; modified?: string }[]) {
  const resp = (href: string, folder: boolean, size?: number, modified?: string) => `
  <D:response>
    <D:href>${href}</D:href>
    <D:propstat>
      <D:prop>
        <D:resourcetype>${folder ? '<D:collection/>' : ''}</D:resourcetype>
        ${size !== undefined ? `<D:getcontentlength>${size}</D:getcontentlength>` : ''}
        ${modified ? `<D:getlastmodified>${modified}</D:getlastmodified>` : ''}
      </D:prop>
      <D:status>HTTP/1.1 200 OK</D:status>
    </D:propstat>
    <D:propstat>
      <D:prop>${folder ? '<D:getcontentlength/>' : ''}</D:prop>
      <D:status>HTTP/1.1 404 Not Found</D:status>
    </D:propstat>
  </D:response>`
  return `<?xml version="1.0" encoding="UTF-8"?><D:multistatus xmlns:D="DAV:">${resp(davUrl(dir) + (dir.endsWith('/') ? '' : '/'), true)}${entries
    .map((e) => resp(e.href, !!e.folder, e.size, e.modified))
    .join('')}</D:multistatus>`
}

describe('paths', () => {
  it('escapes every segment of a URL, keeping the slashes', () => {
    expect(davUrl('/')).toBe('/dav/')
    expect(davUrl('/hello? sausage/êé/Hello, 世界/" \' @ < > & ? + ≠/z.txt')).toBe(
      '/dav/hello%3F%20sausage/%C3%AA%C3%A9/Hello%2C%20%E4%B8%96%E7%95%8C/%22%20\'%20%40%20%3C%20%3E%20%26%20%3F%20%2B%20%E2%89%A0/z.txt',
    )
    expect(davUrl('/50%#1')).toBe('/dav/50%25%231')
  })

  it('joins and splits', () => {
    expect(joinPath('/', 'a')).toBe('/a')
    expect(joinPath('/a', 'b')).toBe('/a/b')
    expect(parentPath('/a/b')).toBe('/a')
    expect(parentPath('/a')).toBe('/')
    expect(parentPath('/a/b/')).toBe('/a')
  })

  it("knows Finder's and Windows' clutter", () => {
    for (const n of ['._report.pdf', '.DS_Store', 'desktop.ini', 'Desktop.ini']) expect(isClutter(n)).toBe(true)
    for (const n of ['report.pdf', '.hidden', 'DS_Store', '_x']) expect(isClutter(n)).toBe(false)
  })
})

describe('parseListing', () => {
  it('reads names, sizes, dates and folders, without the folder itself', () => {
    const xml = multistatus('/Docs', [
      { href: '/dav/Docs/Reports/', folder: true, modified: 'Mon, 02 Jan 2026 15:04:05 GMT' },
      { href: '/dav/Docs/a%20b%3F%23.txt', size: 1234, modified: 'Tue, 03 Feb 2026 10:00:00 GMT' },
      { href: 'http://host:8080/dav/Docs/%E4%B8%96%E7%95%8C.md', size: 0 },
    ])
    expect(parseListing(xml, '/Docs')).toEqual([
      { name: 'Reports', path: '/Docs/Reports', isFolder: true, size: 0, modified: new Date('2026-01-02T15:04:05Z') },
      { name: 'a b?#.txt', path: '/Docs/a b?#.txt', isFolder: false, size: 1234, modified: new Date('2026-02-03T10:00:00Z') },
      { name: '世界.md', path: '/Docs/世界.md', isFolder: false, size: 0, modified: null },
    ])
  })

  it('reads the root listing', () => {
    const xml = multistatus('/', [{ href: '/dav/Work/', folder: true }])
    expect(parseListing(xml, '/').map((e) => e.path)).toEqual(['/Work'])
  })
})

it('sorts folders first, then names as people do', () => {
  const e = (name: string, isFolder = false) => ({ name, path: '/' + name, isFolder, size: 0, modified: null })
  expect(sortEntries([e('b10'), e('B2'), e('z', true), e('a1'), e('A', true)]).map((x) => x.name)).toEqual([
    'A',
    'z',
    'a1',
    'B2',
    'b10',
  ])
})

describe('filesApi over WebDAV', () => {
  it('lists with PROPFIND Depth 1 and the Bearer token, hiding clutter', async () => {
    const seen = mockHttp(() => [
      207,
      multistatus('/My Docs', [
        { href: '/dav/My%20Docs/b.txt', size: 1 },
        { href: '/dav/My%20Docs/._b.txt', size: 1 },
        { href: '/dav/My%20Docs/.DS_Store', size: 1 },
        { href: '/dav/My%20Docs/a/', folder: true },
      ]),
    ])
    const list = await filesApi.list('/My Docs')
    expect(list.map((e) => e.name)).toEqual(['a', 'b.txt'])
    expect(seen[0].method).toBe('PROPFIND')
    expect(seen[0].url).toBe('/dav/My%20Docs/')
    expect(seen[0].headers['depth']).toBe('1')
    expect(seen[0].headers['authorization']).toBe('Bearer tok')
  })

  it('uploads with PUT and reports progress', async () => {
    const progress: number[] = []
    const seen = mockHttp((c) => {
      c.onUploadProgress?.({ loaded: 2, total: 4, bytes: 2, lengthComputable: true })
      c.onUploadProgress?.({ loaded: 4, total: 4, bytes: 2, lengthComputable: true })
      return [201]
    })
    const file = new Blob(['abcd'], { type: 'text/plain' })
    await filesApi.upload('/a/b c.txt', file, (loaded) => progress.push(loaded))
    expect(seen[0].method).toBe('PUT')
    expect(seen[0].url).toBe('/dav/a/b%20c.txt')
    expect(seen[0].data).toBe(file)
    expect(seen[0].headers['content-type']).toBe('text/plain')
    expect(progress).toEqual([2, 4])
  })

  it('renames with MOVE to an absolute Destination, never overwriting', async () => {
    const seen = mockHttp(() => [201])
    await filesApi.move('/a/old name.txt', '/a/new name.txt')
    expect(seen[0].method).toBe('MOVE')
    expect(seen[0].url).toBe('/dav/a/old%20name.txt')
    expect(seen[0].headers['destination']).toBe(`${window.location.origin}/dav/a/new%20name.txt`)
    expect(seen[0].headers['overwrite']).toBe('F')
  })

  it('says in plain words why a rename failed', async () => {
    mockHttp(() => [412])
    await expect(filesApi.move('/a', '/b')).rejects.toThrow('Something with that name already exists here.')
  })

  it('creates folders with MKCOL and deletes with DELETE', async () => {
    const seen = mockHttp(() => [201])
    await filesApi.mkdir('/New folder')
    await filesApi.remove('/Old')
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(['MKCOL /dav/New%20folder', 'DELETE /dav/Old'])
  })

  it('asks for a direct download link, and falls back when the storage has none', async () => {
    let answer: [number, unknown] = [200, { url: 'https://s3.example.com/signed' }]
    const seen = mockHttp(() => answer)
    expect(await filesApi.downloadUrl('/Work/a b.pdf')).toBe('https://s3.example.com/signed')
    expect(seen[0].config.params).toEqual({ path: '/Work/a b.pdf' })
    answer = [404, { error: { code: 'not_supported', message: 'this storage has no direct links' } }]
    expect(await filesApi.downloadUrl('/a.pdf')).toBeNull()
    answer = [404, { error: { code: 'not_found', message: 'no such file: /gone.pdf' } }]
    await expect(filesApi.downloadUrl('/gone.pdf')).rejects.toThrow('No such file: /gone.pdf.')
  })
})
