import { http } from './http'
import type { Me, Tokens, TwoFactorChallenge, User } from './types'

const base = '/api/v1/auth'

export interface SignupRequest {
  username: string
  password: string
  email?: string
  invite?: string
}

/** A second factor: a TOTP code or a recovery code. */
export type SecondFactor = { code: string } | { recovery_code: string }

export type SignupMode = 'open' | 'invite' | 'closed'

export const authApi = {
  /** Whether this server lets people sign up (an administrator decides). */
  async signupMode(): Promise<SignupMode> {
    return (await http.get<{ mode: SignupMode }>(`${base}/signup`, { anonymous: true })).data.mode
  },
  async signup(req: SignupRequest): Promise<User> {
    return (await http.post<User>(`${base}/signup`, req, { anonymous: true })).data
  },
  async signin(login: string, password: string): Promise<Tokens | TwoFactorChallenge> {
    return (await http.post<Tokens | TwoFactorChallenge>(`${base}/signin`, { login, password }, { anonymous: true })).data
  },
  async signin2FA(challenge: string, factor: SecondFactor): Promise<Tokens> {
    return (await http.post<Tokens>(`${base}/signin/2fa`, { challenge, ...factor }, { anonymous: true })).data
  },
  /** Exchanges the httpOnly refresh cookie for a new access token. */
  async refresh(): Promise<Tokens> {
    return (await http.post<Tokens>(`${base}/refresh`, undefined, { anonymous: true })).data
  },
  async logout(): Promise<void> {
    await http.post(`${base}/logout`)
  },
  async me(): Promise<Me> {
    return (await http.get<Me>(`${base}/me`)).data
  },
}

export function isChallenge(r: Tokens | TwoFactorChallenge): r is TwoFactorChallenge {
  return (r as TwoFactorChallenge).two_factor_required === true
}
