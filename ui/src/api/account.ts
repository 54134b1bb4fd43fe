import type { SecondFactor } from './auth'
import { http } from './http'
import type { AppPassword, AppPasswordCreate, NewAppPassword, TOTPEnrollment, Tokens } from './types'

const base = '/api/v1/account'

export const accountApi = {
  /** Ends every other session; the answer starts a new one here. */
  async changePassword(current: string, next: string): Promise<Tokens> {
    return (await http.post<Tokens>(`${base}/password`, { current_password: current, new_password: next })).data
  },
  async enrollTOTP(password: string): Promise<TOTPEnrollment> {
    return (await http.post<TOTPEnrollment>(`${base}/totp/enroll`, { password })).data
  },
  /** Turns 2FA on; answers the recovery codes, shown only now. */
  async confirmTOTP(code: string): Promise<string[]> {
    return (await http.post<{ recovery_codes: string[] }>(`${base}/totp/confirm`, { code })).data.recovery_codes
  },
  async disableTOTP(password: string, factor: SecondFactor): Promise<void> {
    await http.post(`${base}/totp/disable`, { password, ...factor })
  },
  async newRecoveryCodes(password: string, factor: SecondFactor): Promise<string[]> {
    return (await http.post<{ recovery_codes: string[] }>(`${base}/totp/recovery-codes`, { password, ...factor })).data
      .recovery_codes
  },
  async appPasswords(): Promise<AppPassword[]> {
    return (await http.get<{ app_passwords: AppPassword[] }>(`${base}/app-passwords`)).data.app_passwords
  },
  async createAppPassword(req: AppPasswordCreate): Promise<NewAppPassword> {
    return (await http.post<NewAppPassword>(`${base}/app-passwords`, req)).data
  },
  async revokeAppPassword(id: number): Promise<void> {
    await http.delete(`${base}/app-passwords/${id}`)
  },
}
