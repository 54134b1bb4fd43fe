import axios, { type AxiosError, type InternalAxiosRequestConfig } from 'axios'
import { useSessionStore } from '@/stores/session'
import { toApiError } from './errors'

declare module 'axios' {
  interface AxiosRequestConfig {
    /** Send without the access token and never refresh on 401 (sign-in, refresh). */
    anonymous?: boolean
    /** Set on the one retry after a refresh. */
    retried?: boolean
  }
}

/**
 * The one axios instance of the app, for the JSON API and for WebDAV.
 * No timeout: an upload may take an hour. The access token comes from the
 * session store (memory only) on every request; a 401 triggers one
 * refresh through the httpOnly cookie, shared by every request that got
 * one at the same time, and the request is retried once. Errors reject as
 * ApiError with a message for people.
 */
export const http = axios.create({
  // The refresh endpoint's CSRF check; harmless everywhere else.
  headers: { 'X-Requested-With': 'XMLHttpRequest' },
})

function bearer(token: string) {
  return `Bearer ${token}`
}

http.interceptors.request.use(async (config) => {
  if (config.anonymous) return config
  const session = useSessionStore()
  let token = session.accessToken
  // Refresh a token about to expire first rather than collect a 401.
  if (token && session.expiresSoon()) token = await session.refresh()
  if (token) config.headers.set('Authorization', bearer(token))
  return config
})

http.interceptors.response.use(undefined, async (err: AxiosError) => {
  const config = err.config as InternalAxiosRequestConfig | undefined
  if (err.response?.status === 401 && config && !config.anonymous && !config.retried) {
    const session = useSessionStore()
    const sent = config.headers.get('Authorization')
    // Another request may have refreshed while this one was out.
    let token = session.accessToken
    if (!token || bearer(token) === sent) token = await session.refresh()
    if (token) {
      config.retried = true
      config.headers.set('Authorization', bearer(token))
      return http.request(config)
    }
  }
  throw toApiError(err)
})
