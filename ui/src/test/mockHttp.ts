import { AxiosError, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios'
import { http } from '@/api/http'

export type Reply = [status: number, data?: unknown, headers?: Record<string, string>]
export type Handler = (config: InternalAxiosRequestConfig) => Reply | Promise<Reply>

/** A request as the server saw it. */
export interface Seen {
  method: string
  url: string
  headers: Record<string, string>
  data: unknown
  config: InternalAxiosRequestConfig
}

/**
 * Replaces the network under the app's axios instance: handler answers
 * each request (after the interceptors ran, as a server would see it);
 * non-2xx answers reject as axios's own adapters do. Returns the requests.
 */
export function mockHttp(handler: Handler): Seen[] {
  const seen: Seen[] = []
  http.defaults.adapter = async (config) => {
    const headers = Object.fromEntries(
      Object.entries(config.headers.toJSON()).map(([k, v]) => [k.toLowerCase(), String(v)]),
    )
    seen.push({ method: (config.method ?? 'get').toUpperCase(), url: config.url ?? '', headers, data: config.data, config })
    const [status, data, resHeaders = {}] = await handler(config)
    if (status === 0) throw new AxiosError('Network Error', AxiosError.ERR_NETWORK, config, {})
    const response: AxiosResponse = { data, status, statusText: '', headers: resHeaders, config, request: {} }
    if (status >= 200 && status < 300) return response
    throw new AxiosError(
      `Request failed with status code ${status}`,
      status >= 500 ? AxiosError.ERR_BAD_RESPONSE : AxiosError.ERR_BAD_REQUEST,
      config,
      {},
      response,
    )
  }
  return seen
}

export const apiError = (status: number, code: string, message: string): Reply => [
  status,
  { error: { code, message } },
]

export function tokens(access: string, user: Partial<{ id: number; username: string; is_admin: boolean }> = {}, expiresIn = 900) {
  return {
    access_token: access,
    token_type: 'Bearer',
    expires_in: expiresIn,
    user: {
      id: 1,
      username: 'alice',
      is_admin: false,
      disabled: false,
      two_factor_enabled: false,
      created_at: '2026-01-01T00:00:00Z',
      quota_bytes: 0,
      used_bytes: 0,
      ...user,
    },
  }
}
