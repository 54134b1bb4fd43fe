import { AxiosError } from 'axios'

/**
 * An error of the API or of WebDAV, with a message for people. The API
 * answers {"error":{"code","message"}} with a real status; WebDAV answers
 * a bare status, which gets a message here.
 */
export class ApiError extends Error {
  /** HTTP status; 0 when the server could not be reached */
  readonly status: number
  /** the API's code (e.g. "bad_credentials"), or "network" or "http_<status>" */
  readonly code: string
  /** the request field the message is about, when the API names one */
  readonly field?: string
  /** seconds to wait, from Retry-After */
  readonly retryAfter?: number

  constructor(status: number, code: string, message: string, field?: string, retryAfter?: number) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.field = field
    this.retryAfter = retryAfter
  }
}

// Messages for bare statuses, mostly from WebDAV (/dav/).
const statusMessages: Record<number, string> = {
  400: 'The server could not understand the request.',
  401: 'Your session has ended. Sign in again.',
  403: 'You are not allowed to do that.',
  404: 'It is not there any more. Refresh the list.',
  405: 'Something with that name already exists here.',
  409: 'The folder it belongs in does not exist any more.',
  412: 'Something with that name already exists here.',
  413: 'The file is too large for the server.',
  423: 'It is locked by another program. Try again later.',
  429: 'Too many attempts. Wait a moment and try again.',
  500: 'The server ran into a problem. Try again, or tell your administrator.',
  502: 'The server could not reach the storage. Check its address and credentials.',
  503: 'The storage cannot be reached right now. Try again shortly.',
  507: 'Not enough space: this would go over your quota.',
}

/** The first letter in capitals and a full stop at the end. */
export function sentence(s: string): string {
  const t = s.trim()
  if (!t) return t
  const first = t[0].toUpperCase() + t.slice(1)
  return /[.!?…]$/.test(first) ? first : first + '.'
}

/** Turns what axios rejected with into an ApiError with a plain message. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err
  if (!(err instanceof AxiosError)) {
    return new ApiError(0, 'unknown', err instanceof Error ? sentence(err.message) : 'Something went wrong.')
  }
  if (err.code === AxiosError.ERR_CANCELED) return new ApiError(0, 'canceled', 'Cancelled.')
  const res = err.response
  if (!res) {
    return new ApiError(0, 'network', 'Cannot reach the server. Check your connection and try again.')
  }
  const retry = Number(res.headers?.['retry-after']) || undefined
  const body = res.data as { error?: { code?: string; message?: string } } | undefined
  const api = body && typeof body === 'object' && body.error
  if (api && typeof api.message === 'string') {
    // "username: use 1-64 letters …" names the field it is about.
    const field = /^([a-z_]+): /.exec(api.message)?.[1]
    return new ApiError(res.status, api.code ?? `http_${res.status}`, sentence(api.message), field, retry)
  }
  const msg = statusMessages[res.status] ?? `The server answered ${res.status} ${res.statusText || ''}`.trim() + '.'
  return new ApiError(res.status, `http_${res.status}`, msg, undefined, retry)
}

/** A message for anything caught from an API call. */
export function errorMessage(err: unknown): string {
  return toApiError(err).message
}
