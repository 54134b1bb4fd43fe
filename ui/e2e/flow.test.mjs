// End to end: the built UI in Debian's chromium against the real docuvault
// binary. One user's way through the app, each step relying on the last:
// sign up, sign in, two-factor authentication, an app password used by a
// WebDAV client, files uploaded in the browser, and an administrator
// disabling the user. Any console error fails the step it happens in.
// Screenshots of every page at desktop and phone width go to
// docs/screenshots/.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, test } from 'node:test'
import { launch, newPage, shoot, shootFailure } from './browser.mjs'
import { buildServer, startServer } from './server.mjs'
import { authenticator } from './totp.mjs'

let server, browser
before(async () => {
  server = await startServer(buildServer())
  browser = await launch()
})
after(async () => {
  await browser?.close()
  await server?.stop()
})

const alice = { login: 'alice', email: 'alice@example.com', password: 'alice-password-1' }

/** A JSON API call from outside the browser. */
async function api(method, path, { token, body } = {}) {
  const res = await fetch(server.url + '/api/v1' + path, {
    method,
    headers: { ...(token && { Authorization: `Bearer ${token}` }), ...(body && { 'Content-Type': 'application/json' }) },
    body: body && JSON.stringify(body),
  })
  const text = await res.text()
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`)
  return text ? JSON.parse(text) : null
}

/** A WebDAV request with Basic credentials, as a desktop client sends it. */
function dav(method, path, user, password, body) {
  return fetch(server.url + '/dav' + path, {
    method,
    headers: { Authorization: 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64') },
    body,
  })
}

/** Steps run in order; after a failure the rest are skipped. */
let broken = false
function step(t, name, fn) {
  return t.test(name, async (st) => {
    if (broken) return st.skip('an earlier step failed')
    try {
      await fn()
    } catch (e) {
      broken = true
      const shots = await shootFailure(name)
      e.message += `\nscreenshots: ${shots.join(', ')}\n--- server output (tail) ---\n${server.output().slice(-1500)}`
      throw e
    }
  })
}

async function signIn(page, login, password) {
  await page.getByLabel('Username or e-mail').fill(login)
  await page.getByLabel('Password', { exact: true }).fill(password)
  await page.getByLabel('Password', { exact: true }).press('Enter') // the keyboard submits
}

test('a user from sign-up to being disabled', async (t) => {
  const A = await newPage(browser, 'desktop', server.url)
  const page = A.page
  let nextCode, appPassword

  await step(t, 'an administrator opens sign-up', async () => {
    const { access_token } = await api('POST', '/auth/signin', { body: { login: 'admin', password: server.adminPassword } })
    await api('PATCH', '/admin/settings', { token: access_token, body: { signup_mode: 'open' } })
  })

  await step(t, 'sign up', async () => {
    await page.goto('/')
    await page.waitForURL('**/signin')
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    await shoot(page, 'signin', 'desktop')
    await page.getByRole('link', { name: 'Create one' }).click()
    await page.getByRole('heading', { name: 'Create an account' }).waitFor()
    await shoot(page, 'signup', 'desktop')
    await page.getByLabel('Username').fill(alice.login)
    await page.getByLabel('E-mail (optional)').fill(alice.email)
    await page.getByLabel('Password').fill('short')
    await page.getByText('The password needs at least 8 characters.').waitFor()
    await page.getByLabel('Password').fill(alice.password)
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByRole('heading', { name: 'Hello, alice' }).waitFor()
    A.assertClean()
  })

  await step(t, 'sign out, and sign in with the password', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL('**/signin')
    await signIn(page, alice.login, alice.password)
    await page.getByRole('heading', { name: 'Hello, alice' }).waitFor()
    A.assertClean()
  })

  await step(t, 'home: space and copy-ready client settings', async () => {
    await page.getByText(/used · no limit/).waitFor()
    await page.getByText('Server disk').first().waitFor()
    const finder = await page.getByLabel('WebDAV address', { exact: true }).textContent()
    assert.equal(finder, `${server.url}/dav/`)
    const rclone = await page.getByLabel('rclone configuration', { exact: true }).textContent()
    assert.match(rclone, /type = webdav\nurl = http:\/\/127\.0\.0\.1:\d+\/dav\/\nvendor = owncloud\nuser = alice/)
    assert.match(await page.getByLabel('net use command', { exact: true }).textContent(), /^net use Z: http:\/\/127\.0\.0\.1:\d+\/dav\/ \/user:alice \*/)
    assert.match(await page.getByLabel('fstab line', { exact: true }).textContent(), /\/dav\/ \/mnt\/docuvault davfs /)
    await page.getByText('BasicAuthLevel').first().waitFor() // plain HTTP: the Windows note
    await page.getByText(/over 50 MB/).waitFor()
    await page.getByRole('button', { name: 'Copy rclone configuration' }).click()
    await page.getByRole('button', { name: 'Copy rclone configuration' }).getByText('Copied').waitFor()
    await shoot(page, 'home', 'desktop')
    A.assertClean()
  })

  await step(t, 'a reload keeps the session, and no token is stored', async () => {
    await page.reload()
    await page.getByRole('heading', { name: 'Hello, alice' }).waitFor()
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }))
    assert.doesNotMatch(stored, /eyJ/, 'a JWT in web storage') // JWTs start with eyJ
    const cookies = await A.context.cookies()
    assert.deepEqual(cookies.map((c) => [c.name, c.httpOnly]), [['dv_refresh', true]])
    A.assertClean()
  })

  await step(t, 'enrol two-factor authentication', async () => {
    await page.getByRole('link', { name: 'Security', exact: true }).click()
    await page.getByRole('button', { name: 'Turn on two-factor authentication' }).click()
    await page.getByLabel('Your password, to confirm it is you').fill(alice.password)
    await page.getByRole('button', { name: 'Continue' }).click()
    await page.getByAltText('QR code to scan with your authenticator app').waitFor()
    const secret = await page.getByLabel('setup key', { exact: true }).textContent()
    assert.match(secret, /^[A-Z2-7]{16,}$/)
    nextCode = authenticator(secret)
    const code = page.getByLabel('Code from the app')
    assert.equal(await code.getAttribute('inputmode'), 'numeric')
    await shoot(page, 'security-totp', 'desktop')
    await code.fill('000000')
    await page.getByRole('button', { name: 'Turn on' }).click()
    await A.expectErrors(/status of 400/, () => page.getByText('The code is wrong or expired').waitFor())
    await code.fill(await nextCode())
    await page.getByRole('button', { name: 'Turn on' }).click()
    const list = page.getByRole('list', { name: 'Recovery codes' })
    await list.waitFor()
    const codes = await list.getByRole('listitem').allTextContents()
    assert.equal(codes.length, 10)
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download codes' }).click()])
    assert.equal(download.suggestedFilename(), 'docuvault-recovery-codes.txt')
    const saved = readFileSync(await download.path(), 'utf8')
    for (const c of codes) assert.ok(saved.includes(c.trim()), `${c} missing from the download`)
    await page.getByRole('button', { name: 'I have saved them' }).click()
    await page.getByText('10 recovery codes left.').waitFor()
    A.assertClean()
  })

  await step(t, 'sign out, and sign in with a code', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click()
    await signIn(page, alice.login, alice.password)
    await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor()
    await page.getByRole('button', { name: 'Use a recovery code' }).click()
    await page.getByLabel('Recovery code').waitFor()
    await page.getByRole('button', { name: 'Use a code from the app' }).click()
    const code = page.getByLabel('Code', { exact: true })
    assert.equal(await code.getAttribute('inputmode'), 'numeric')
    await shoot(page, 'signin-2fa', 'desktop')
    await code.fill(await nextCode())
    await code.press('Enter')
    await page.getByRole('heading', { name: 'Hello, alice' }).waitFor()
    await page.getByText('clients sign in with an').waitFor() // 2FA: app passwords only
    A.assertClean()
  })

  await step(t, 'an app password works for a real WebDAV PUT', async () => {
    await page.getByRole('link', { name: 'Security', exact: true }).click()
    await page.getByLabel('Name').fill('laptop')
    await page.getByRole('button', { name: 'Create app password' }).click()
    const user = await page.getByLabel('username', { exact: true }).textContent()
    appPassword = await page.getByLabel('app password', { exact: true }).textContent()
    assert.equal(user, 'alice')
    const put = await dav('PUT', '/from-webdav.txt', user, appPassword, 'written by a WebDAV client\n')
    assert.equal(put.status, 201, await put.text())
    // Finder and Windows clutter, which the file list leaves out.
    for (const junk of ['/._from-webdav.txt', '/.DS_Store', '/desktop.ini']) {
      assert.ok((await dav('PUT', junk, user, appPassword, 'x')).ok)
    }
    // With 2FA on, the account password no longer opens WebDAV.
    assert.equal((await dav('PROPFIND', '/', user, alice.password)).status, 401)
    await page.getByRole('button', { name: 'Done' }).click()
    await page.reload()
    const row = page.getByRole('row').filter({ hasText: 'laptop' })
    await row.getByText('Read and write').waitFor()
    assert.doesNotMatch(await row.textContent(), /Never.*Never/, 'last use not shown')
    await shoot(page, 'security', 'desktop')
    A.assertClean()
  })

  await step(t, 'upload files in the browser and see them listed', async () => {
    await page.getByRole('link', { name: 'Files', exact: true }).click()
    await page.getByRole('row').filter({ hasText: 'from-webdav.txt' }).waitFor()
    const names = await page.locator('tr[data-name]').evaluateAll((rows) => rows.map((r) => r.dataset.name))
    assert.deepEqual(names, ['from-webdav.txt'], 'clutter is hidden')
    // The button: a file chooser.
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByRole('button', { name: 'Upload files' }).click()])
    const big = Buffer.alloc(3 * 1024 * 1024, 'a')
    await chooser.setFiles([
      { name: 'report.txt', mimeType: 'text/plain', buffer: Buffer.from('quarterly numbers\n') },
      { name: 'big.bin', mimeType: 'application/octet-stream', buffer: big },
    ])
    await page.locator('li[data-upload="report.txt"]').getByText('Uploaded').waitFor()
    await page.locator('li[data-upload="big.bin"]').getByText('Uploaded').waitFor()
    assert.equal(await page.locator('li[data-upload="big.bin"] progress').getAttribute('value'), '100')
    await page.getByRole('row').filter({ hasText: 'report.txt' }).getByText('18 bytes').waitFor()
    await page.getByRole('row').filter({ hasText: 'big.bin' }).getByText('3 MB').waitFor()
    // Drag and drop.
    const dt = await page.evaluateHandle(() => {
      const d = new DataTransfer()
      d.items.add(new File(['dropped\n'], 'dropped.txt', { type: 'text/plain' }))
      return d
    })
    await page.dispatchEvent('.files', 'dragenter', { dataTransfer: dt })
    await page.getByText('Drop files to upload them').waitFor()
    await page.dispatchEvent('.files', 'drop', { dataTransfer: dt })
    await page.getByRole('row').filter({ hasText: 'dropped.txt' }).waitFor()
    // What the browser uploaded is what a WebDAV client reads.
    const got = await dav('GET', '/report.txt', 'alice', appPassword)
    assert.equal(await got.text(), 'quarterly numbers\n')
    A.assertClean()
  })

  await step(t, 'new folder, rename, download and delete', async () => {
    await page.getByRole('button', { name: 'New folder' }).click()
    await page.getByLabel('Name of the new folder').fill('Reports')
    await page.getByLabel('Name of the new folder').press('Enter')
    await page.getByRole('link', { name: 'Reports' }).click()
    await page.waitForURL('**/files/Reports')
    await page.getByText('This folder is empty.').waitFor()
    await page.getByRole('navigation', { name: 'Folder' }).getByRole('link', { name: 'Files', exact: true }).click()
    await page.getByRole('button', { name: 'Rename report.txt' }).click()
    const rename = page.getByLabel('New name for report.txt')
    await rename.fill('report-2026.txt')
    await rename.press('Enter')
    await page.getByRole('row').filter({ hasText: 'report-2026.txt' }).waitFor()
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download report-2026.txt' }).click()])
    assert.equal(download.suggestedFilename(), 'report-2026.txt')
    assert.equal(readFileSync(await download.path(), 'utf8'), 'quarterly numbers\n')
    await page.getByRole('button', { name: 'Delete dropped.txt' }).click()
    const dialog = page.getByRole('dialog', { name: 'Delete “dropped.txt”?' })
    await dialog.getByRole('button', { name: 'Delete' }).click()
    await dialog.waitFor({ state: 'hidden' })
    await page.getByRole('row').filter({ hasText: 'dropped.txt' }).waitFor({ state: 'detached' })
    assert.equal((await dav('GET', '/dropped.txt', 'alice', appPassword)).status, 404)
    await page.getByRole('button', { name: 'Clear finished' }).click()
    await shoot(page, 'files', 'desktop')
    A.assertClean()
  })

  await step(t, 'storage: see it, and a connection error next to the form', async () => {
    await page.getByRole('link', { name: 'Storage', exact: true }).click()
    const home = page.getByRole('region', { name: 'Your files' })
    await home.getByText('Server disk').waitFor()
    await home.getByRole('button', { name: 'Change' }).click()
    await home.getByText('S3', { exact: true }).click()
    await home.getByLabel('Endpoint').fill('127.0.0.1:1')
    await home.getByLabel('Bucket').fill('docs')
    await home.getByLabel('Access key').fill('key')
    await home.getByLabel('Secret key').fill('secret')
    await home.getByLabel('Use HTTPS').uncheck()
    await A.expectErrors(/status of 502/, async () => {
      await home.getByRole('button', { name: 'Connect' }).click()
      await home.getByRole('alert').waitFor()
    })
    await shoot(page, 'storage', 'desktop')
    await home.getByRole('button', { name: 'Cancel' }).click()
    A.assertClean()
  })

  await step(t, 'storage: connect a WebDAV server as a folder', async () => {
    // The administrator's files on this very server, over WebDAV.
    await page.getByRole('button', { name: 'Add a storage folder' }).click()
    const add = page.getByRole('region', { name: 'Add a storage folder' })
    await add.getByLabel('Folder name').fill('Shared')
    await add.getByText('WebDAV or Nextcloud', { exact: true }).click()
    await add.getByLabel('Address').fill(`${server.url}/dav/`)
    await add.getByLabel('Username').fill('admin')
    await add.getByLabel('Password').fill(server.adminPassword)
    await add.getByRole('button', { name: 'Connect' }).click()
    await page.getByText('Shared is connected.').waitFor()
    const shared = page.getByRole('region', { name: 'Shared' })
    await shared.getByText('WebDAV', { exact: true }).waitFor()
    await page.getByRole('link', { name: 'Files', exact: true }).click()
    await page.getByRole('link', { name: 'Shared' }).click()
    await page.getByText('This folder is empty.').waitFor()
    A.assertClean()
  })

  const D = await newPage(browser, 'desktop', server.url)
  await step(t, 'an administrator disables the user', async () => {
    await D.page.goto('/admin')
    await signIn(D.page, 'admin', server.adminPassword)
    await D.page.getByRole('heading', { name: 'Users', exact: true }).waitFor()
    const row = D.page.locator('tr[data-user="alice"]')
    await row.getByText('2FA', { exact: true }).waitFor()
    await row.getByRole('button', { name: 'Set the quota of alice' }).click()
    await row.getByLabel('Quota of alice in GB').fill('2')
    await row.getByLabel('Quota of alice in GB').press('Enter')
    await row.getByText('3 MB of 2 GB').waitFor()
    await shoot(D.page, 'admin', 'desktop')
    await row.getByRole('button', { name: 'Disable alice' }).click()
    await row.getByText('disabled', { exact: true }).waitFor()
    D.assertClean()
  })

  await step(t, 'the disabled user is signed out and cannot sign in', async () => {
    await A.expectErrors(/status of 401/, async () => {
      await page.getByRole('link', { name: 'Home', exact: true }).click() // the session has ended
      await page.waitForURL('**/signin**')
      await signIn(page, alice.login, alice.password)
      await page.getByText('Wrong username or password.').waitFor()
    })
    assert.equal((await dav('PROPFIND', '/', 'alice', appPassword)).status, 401, 'app password after disable')
    A.assertClean()
  })
  await D.context.close()
  await A.context.close()

  const P = await newPage(browser, 'phone', server.url)
  await step(t, 'every page at phone width', async () => {
    const p = P.page
    // Something to list.
    for (const name of ['Invoices', 'Photos']) assert.equal((await dav('MKCOL', `/${name}`, 'admin', server.adminPassword)).status, 201)
    assert.equal((await dav('PUT', '/notes.txt', 'admin', server.adminPassword, 'notes\n')).status, 201)
    const fits = async (name) => {
      const [scroll, width] = await p.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth])
      assert.ok(scroll <= width, `${name} is ${scroll}px wide at a ${width}px phone width`)
      await shoot(p, name, 'phone')
    }
    await p.goto('/signup')
    await p.getByRole('heading', { name: 'Create an account' }).waitFor()
    await fits('signup')
    await p.getByRole('link', { name: 'Sign in' }).click()
    await fits('signin')
    await signIn(p, 'admin', server.adminPassword)
    await p.getByRole('heading', { name: 'Hello, admin' }).waitFor()
    await p.getByText(/used · no limit/).waitFor()
    await fits('home')
    await p.getByRole('link', { name: 'Files', exact: true }).click()
    await p.getByRole('row').filter({ hasText: 'notes.txt' }).waitFor()
    await fits('files')
    await p.getByRole('link', { name: 'Storage', exact: true }).click()
    await p.getByRole('region', { name: 'Your files' }).waitFor()
    await fits('storage')
    await p.getByRole('link', { name: 'Security', exact: true }).click()
    await p.getByText('No app passwords yet.').waitFor()
    await fits('security')
    await p.getByRole('link', { name: 'Users', exact: true }).click()
    await p.locator('tr[data-user="alice"]').getByText('disabled', { exact: true }).waitFor()
    await fits('admin')
    P.assertClean()
  })
  await P.context.close()
})
