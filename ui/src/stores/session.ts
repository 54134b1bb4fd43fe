import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { authApi, isChallenge, type SecondFactor } from '@/api/auth'
import { ApiError } from '@/api/errors'
import type { Me, Tokens, User } from '@/api/types'

/**
 * Whether this browser has signed in and not out: a plain flag, never a
 * token, so a page load only tries the refresh cookie when there may be
 * one (and a visitor's first page does not start with a failed request).
 */
export const sessionHint = {
  key: 'docuvault.signed-in',
  get(): boolean {
    try {
      return localStorage.getItem(this.key) === '1'
    } catch {
      return true // storage blocked: try the cookie anyway
    }
  },
  set(on: boolean) {
    try {
      if (on) localStorage.setItem(this.key, '1')
      else localStorage.removeItem(this.key)
    } catch {
      /* storage blocked */
    }
  },
}

/** Refresh this long before the access token expires. */
const refreshMargin = 30_000

/**
 * The signed-in user and their access token, in memory only. The refresh
 * token is an httpOnly cookie the page never sees.
 */
export const useSessionStore = defineStore('session', () => {
  const accessToken = ref<string | null>(null)
  const expiresAt = ref(0)
  const user = ref<Me | User | null>(null)
  /** The sign-in waiting for its second factor. */
  const challenge = ref<string | null>(null)
  /** True once the page-load refresh has run. */
  const ready = ref(false)

  const signedIn = computed(() => accessToken.value !== null && user.value !== null)
  const isAdmin = computed(() => user.value?.is_admin === true)

  function setTokens(t: Tokens) {
    accessToken.value = t.access_token
    expiresAt.value = Date.now() + t.expires_in * 1000
    // Keep what /auth/me added (recovery_codes_left) across refreshes.
    user.value = { ...(user.value?.id === t.user.id ? user.value : {}), ...t.user }
    challenge.value = null
    sessionHint.set(true)
  }

  function clear() {
    accessToken.value = null
    expiresAt.value = 0
    user.value = null
    challenge.value = null
    sessionHint.set(false)
  }

  function expiresSoon(): boolean {
    return accessToken.value !== null && Date.now() > expiresAt.value - refreshMargin
  }

  let inflight: Promise<string | null> | null = null

  /**
   * A new access token from the refresh cookie, or null when the session
   * is over (then the store is cleared). Calls made while one is running
   * share it: the cookie is single-use, so two refreshes would end the
   * session.
   */
  function refresh(): Promise<string | null> {
    inflight ??= authApi
      .refresh()
      .then(
        (t) => {
          setTokens(t)
          return t.access_token
        },
        (err: unknown) => {
          // A network failure leaves the session for the next try.
          if (err instanceof ApiError && err.status === 0) return null
          clear()
          return null
        },
      )
      .finally(() => {
        inflight = null
      })
    return inflight
  }

  let restoring: Promise<void> | null = null

  /** Restores the session of a page load from the refresh cookie, once. */
  function restore(): Promise<void> {
    restoring ??= (async () => {
      if (!accessToken.value && sessionHint.get() && (await refresh())) {
        try {
          await loadMe()
        } catch {
          /* the token answers; the details can wait */
        }
      }
      ready.value = true
    })()
    return restoring
  }

  async function loadMe() {
    user.value = await authApi.me()
  }

  /** The password step; 'two_factor' when a code must follow. */
  async function signIn(login: string, password: string): Promise<'done' | 'two_factor'> {
    const r = await authApi.signin(login, password)
    if (isChallenge(r)) {
      challenge.value = r.challenge
      return 'two_factor'
    }
    setTokens(r)
    return 'done'
  }

  /** The second step, with a TOTP code or a recovery code. */
  async function signIn2FA(factor: SecondFactor) {
    if (!challenge.value) throw new ApiError(401, 'invalid_token', 'The sign-in has expired. Start again.')
    try {
      setTokens(await authApi.signin2FA(challenge.value, factor))
    } catch (e) {
      // A used or expired challenge cannot be retried; start over.
      if (e instanceof ApiError && e.code === 'invalid_token') challenge.value = null
      throw e
    }
  }

  /** Back from the code step to the password. */
  function cancelChallenge() {
    challenge.value = null
  }

  async function signOut() {
    try {
      if (accessToken.value) await authApi.logout()
    } finally {
      clear()
    }
  }

  return {
    accessToken,
    user,
    challenge,
    ready,
    signedIn,
    isAdmin,
    setTokens,
    clear,
    expiresSoon,
    refresh,
    restore,
    loadMe,
    signIn,
    signIn2FA,
    cancelChallenge,
    signOut,
  }
})
