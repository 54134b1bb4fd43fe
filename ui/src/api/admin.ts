import { http } from './http'
import type { AdminUser, NewInvite, Settings, StorageSpec } from './types'

const base = '/api/v1/admin'

export interface UserCreate {
  username: string
  password: string
  email?: string
  is_admin?: boolean
}

export interface UserUpdate {
  disabled?: boolean
  /** 0: no limit */
  quota_bytes?: number
  is_admin?: boolean
}

export const adminApi = {
  async users(): Promise<AdminUser[]> {
    return (await http.get<{ users: AdminUser[] }>(`${base}/users`)).data.users
  },
  async createUser(req: UserCreate): Promise<AdminUser> {
    return (await http.post<AdminUser>(`${base}/users`, req)).data
  },
  async updateUser(id: number, patch: UserUpdate): Promise<AdminUser> {
    return (await http.patch<AdminUser>(`${base}/users/${id}`, patch)).data
  },
  async deleteUser(id: number): Promise<void> {
    await http.delete(`${base}/users/${id}`)
  },
  async reset2FA(id: number): Promise<void> {
    await http.post(`${base}/users/${id}/reset-2fa`)
  },
  async setUserStorage(id: number, spec: StorageSpec): Promise<void> {
    await http.put(`${base}/users/${id}/storage`, spec)
  },
  async settings(): Promise<Settings> {
    return (await http.get<Settings>(`${base}/settings`)).data
  },
  async updateSettings(s: Settings): Promise<Settings> {
    return (await http.patch<Settings>(`${base}/settings`, s)).data
  },
  async createInvite(expiresInHours = 168): Promise<NewInvite> {
    return (await http.post<NewInvite>(`${base}/invites`, { expires_in_hours: expiresInHours })).data
  },
}
