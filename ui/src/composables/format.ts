const units = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB']

/** 1536 → "1.5 KB" (powers of 1024, as file managers show). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return ''
  if (n < 1024) return n === 1 ? '1 byte' : `${n} bytes`
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v >= 100 ? Math.round(v) : v.toFixed(1).replace(/\.0$/, '')} ${units[i]}`
}

/** "10 GB" or "10.5" in GB → bytes; null when it is not a size. */
export function parseGigabytes(s: string): number | null {
  const t = s.trim()
  if (t === '') return null
  const v = Number(t)
  if (!Number.isFinite(v) || v < 0) return null
  return Math.round(v * 1024 ** 3)
}

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

export function formatDate(d: Date | string | null | undefined): string {
  if (!d) return ''
  const date = typeof d === 'string' ? new Date(d) : d
  return isNaN(date.getTime()) ? '' : dateFmt.format(date)
}
