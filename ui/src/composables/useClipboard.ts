import { onBeforeUnmount, ref } from 'vue'

/** Copies text; `copied` is true for two seconds after, for the button's label. */
export function useClipboard() {
  const copied = ref(false)
  const failed = ref(false)
  let timer: ReturnType<typeof setTimeout> | undefined
  async function copy(text: string) {
    failed.value = false
    try {
      await navigator.clipboard.writeText(text)
    } catch {
      // No clipboard API (plain HTTP on another host): the old way.
      const ta = document.createElement('textarea')
      ta.value = text
      ta.setAttribute('readonly', '')
      ta.style.position = 'fixed'
      ta.style.opacity = '0'
      document.body.appendChild(ta)
      ta.select()
      const ok = document.execCommand('copy')
      ta.remove()
      if (!ok) {
        failed.value = true
        return
      }
    }
    copied.value = true
    clearTimeout(timer)
    timer = setTimeout(() => (copied.value = false), 2000)
  }
  onBeforeUnmount(() => clearTimeout(timer))
  return { copy, copied, failed }
}

/** Offers text or a blob as a file download. */
export function saveFile(name: string, content: Blob | string, type = 'text/plain') {
  const blob = typeof content === 'string' ? new Blob([content], { type }) : content
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
