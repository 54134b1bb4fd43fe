import type { ApiError } from '@/api/errors'

/** The message of err when it is about one of fields, for the field to show. */
export function fieldError(err: ApiError | null | undefined, ...fields: string[]): string | null {
  return err?.field && fields.includes(err.field) ? err.message : null
}
