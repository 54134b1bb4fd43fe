// Shapes of the JSON API under /api/v1 (see api/openapi.json).

export interface User {
  id: number
  username: string
  email?: string
  is_admin: boolean
  disabled: boolean
  two_factor_enabled: boolean
  created_at: string
  /** 0: no limit */
  quota_bytes: number
  used_bytes: number
}

export interface Me extends User {
  recovery_codes_left: number
}

export interface Tokens {
  access_token: string
  token_type: 'Bearer'
  /** seconds */
  expires_in: number
  user: User
}

export interface TwoFactorChallenge {
  two_factor_required: true
  challenge: string
  expires_in: number
}

export interface TOTPEnrollment {
  secret: string
  uri: string
  /** base64 PNG */
  qr_png: string
}

export interface AppPassword {
  id: number
  name: string
  read_only: boolean
  path_prefix: string
  expires_at: string | null
  created_at: string
  last_used_at: string | null
  last_used_addr: string
}

export interface NewAppPassword {
  app_password: AppPassword
  username: string
  password: string
}

export interface AppPasswordCreate {
  name: string
  read_only?: boolean
  path_prefix?: string
  expires_at?: string
}

export interface AdminUser extends Me {
  app_passwords: number
  storages: { mount: string; kind: string }[]
}

export type SignupMode = 'open' | 'invite' | 'closed'

export interface Settings {
  signup_mode: SignupMode
}

export interface NewInvite {
  invite: { id: number; expires_at: string }
  code: string
}

export type StorageKind = 'local' | 's3' | 'webdav'

/** One storage of a user, as GET /storage shows it (secrets never come back). */
export interface Storage {
  /** "/" for the home storage, "/Name" for an extra one */
  mount: string
  kind: StorageKind | string
  endpoint?: string
  region?: string
  bucket?: string
  prefix?: string
  access_key?: string
  tls?: boolean
  url?: string
  username?: string
  nextcloud?: boolean
  secret_set?: boolean
  /** the storage's own quota, when its provider reports one (OneDrive, Google Drive, some WebDAV servers) */
  space?: StorageSpace
}

/** A storage provider's own numbers, in bytes. */
export interface StorageSpace {
  used: number
  available: number
}

/** A cloud drive this server can connect by signing in to it (OAuth). */
export interface StorageProvider {
  /** the storage kind it connects: "onedrive" or "gdrive" */
  id: string
  /** what to call it: "OneDrive", "Google Drive" */
  name: string
}

export interface StorageList {
  storages: Storage[]
  used_bytes: number
  quota_bytes: number
}

/** The body of PUT /storage: the spec fields of its kind, and the secret. */
export interface StorageSpec {
  mount: string
  kind: StorageKind
  /** local: an absolute folder on the server (administrators only) */
  dir?: string
  endpoint?: string
  region?: string
  bucket?: string
  prefix?: string
  access_key?: string
  tls?: boolean
  url?: string
  username?: string
  nextcloud?: boolean
  /** S3 secret key or WebDAV password; empty keeps the stored one */
  secret?: string
}

/** One entry of a WebDAV folder listing. */
export interface DavEntry {
  name: string
  /** path in the user's namespace, "/" separated, starting with "/" */
  path: string
  isFolder: boolean
  size: number
  modified: Date | null
}
