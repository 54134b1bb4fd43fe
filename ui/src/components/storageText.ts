import type { Storage, StorageSpace } from '@/api/types'
import { formatBytes } from '@/composables/format'

export function kindLabel(kind: string): string {
  return { local: 'Server disk', s3: 'S3', webdav: 'WebDAV', onedrive: 'OneDrive', gdrive: 'Google Drive' }[kind] ?? kind
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
    case 'onedrive':
      return '(your whole OneDrive)'
    case 'gdrive':
      return '(the DocuVault folder of your Google Drive)'
    default:
      return ''
  }
}

/** A provider's own space in words: "1.5 GB used, 13.5 GB free"; "" when unknown. */
export function spaceText(space: StorageSpace | undefined): string {
  if (!space || !(space.available >= 0) || !(space.used >= 0)) return ''
  return `${formatBytes(space.used)} used, ${formatBytes(space.available)} free`
}

/** What the provider's return to /storage?connected=… or ?error=… says. */
export interface ConnectMessage {
  ok: boolean
  text: string
}

const connectErrors: Record<string, string> = {
  invalid_state: 'That sign-in link was not recognised or was already used. Please start connecting again.',
  state_expired: 'The sign-in took too long and expired. Please start connecting again.',
  wrong_browser:
    'The sign-in finished in a different browser (or cookies are blocked). Please connect again from this browser.',
  access_denied: 'You did not allow access, so nothing was connected.',
  provider_error: 'The provider reported a problem, so nothing was connected. Please try again later.',
  exchange_failed: 'The provider did not accept the sign-in, so nothing was connected. Please try again.',
  storage_unreachable: 'Signed in, but the drive could not be opened, so nothing was connected. Please try again later.',
  no_encryption_key:
    'The server cannot store the sign-in safely: an administrator must set an encryption key first. Nothing was connected.',
  internal: 'Something went wrong on the server, so nothing was connected. Please try again.',
}

/**
 * The message for the query the provider sends the browser back with, or null when it carries
 * neither connected nor error. names maps provider ids to their names.
 */
export function connectMessage(
  query: Record<string, unknown>,
  names: Record<string, string> = {},
): ConnectMessage | null {
  const first = (v: unknown): string | undefined => {
    const x = Array.isArray(v) ? v[0] : v
    return typeof x === 'string' ? x : undefined
  }
  const connected = first(query.connected)
  if (connected !== undefined) {
    const known = connected === 'onedrive' || connected === 'gdrive'
    const name = names[connected] ?? (known ? kindLabel(connected) : 'Your drive')
    return { ok: true, text: `${name} is connected.` }
  }
  const error = first(query.error)
  if (error !== undefined) {
    return { ok: false, text: connectErrors[error] ?? 'Connecting did not work, so nothing was connected. Please try again.' }
  }
  return null
}
