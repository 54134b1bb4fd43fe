import { describe, expect, it } from 'vitest'
import { connectMessage, kindLabel, spaceText } from './storageText'

describe('connectMessage', () => {
  const names = { onedrive: 'OneDrive', gdrive: 'Google Drive' }

  it('says which drive was connected', () => {
    expect(connectMessage({ connected: 'onedrive' }, names)).toEqual({ ok: true, text: 'OneDrive is connected.' })
    expect(connectMessage({ connected: 'gdrive' })).toEqual({ ok: true, text: 'Google Drive is connected.' })
    expect(connectMessage({ connected: ['gdrive'] }, names)?.text).toBe('Google Drive is connected.')
  })

  it('explains every error code in plain words', () => {
    const codes = [
      'invalid_state',
      'state_expired',
      'wrong_browser',
      'access_denied',
      'provider_error',
      'exchange_failed',
      'storage_unreachable',
      'no_encryption_key',
      'internal',
    ]
    const texts = new Set<string>()
    for (const code of codes) {
      const m = connectMessage({ error: code }, names)
      expect(m?.ok).toBe(false)
      expect(m?.text).not.toContain('_')
      texts.add(m!.text)
    }
    expect(texts.size).toBe(codes.length)
    expect(connectMessage({ error: 'access_denied' })?.text).toBe('You did not allow access, so nothing was connected.')
    expect(connectMessage({ error: 'no_encryption_key' })?.text).toMatch(/administrator/)
  })

  it('has a message for an unknown code, never echoing it', () => {
    const m = connectMessage({ error: '<script>' })
    expect(m?.ok).toBe(false)
    expect(m?.text).not.toContain('<script>')
  })

  it('is null without connected or error', () => {
    expect(connectMessage({})).toBeNull()
    expect(connectMessage({ path: '/x' })).toBeNull()
  })
})

describe('spaceText', () => {
  it('shows used and free space', () => {
    expect(spaceText({ used: 1536, available: 10 * 1024 ** 3 })).toBe('1.5 KB used, 10 GB free')
    expect(spaceText({ used: 0, available: 0 })).toBe('0 bytes used, 0 bytes free')
  })
  it('is empty when unknown', () => {
    expect(spaceText(undefined)).toBe('')
    expect(spaceText({ used: 5, available: -1 })).toBe('')
  })
})

it('names the drive kinds', () => {
  expect(kindLabel('onedrive')).toBe('OneDrive')
  expect(kindLabel('gdrive')).toBe('Google Drive')
})

it('does not echo an unknown provider', () => {
  expect(connectMessage({ connected: 'evil<b>' })?.text).toBe('Your drive is connected.')
})
