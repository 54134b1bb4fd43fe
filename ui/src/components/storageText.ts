import type { Storage } from '@/api/types'

export function kindLabel(kind: string): string {
  return { local: 'Server disk', s3: 'S3', webdav: 'WebDAV' }[kind] ?? kind
}

/** Where a storage's files are, in a few words. */
export function describeStorage(s: Storage): string {
  switch (s.kind) {
    case 's3':
      return `(${s.bucket ?? ''}${s.prefix ? '/' + s.prefix : ''} on ${s.endpoint ?? ''})`
    case 'webdav':
      return `(${s.nextcloud ? 'Nextcloud ' : ''}${s.url ?? ''} as ${s.username ?? ''})`
    case 'local':
      return "(the server's own disk)"
    default:
      return ''
  }
}
