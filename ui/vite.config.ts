/// <reference types="vitest/config" />
import { writeFileSync } from 'node:fs'
import { fileURLToPath, URL } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig, type Plugin } from 'vite'

// The Go server embeds dist/ (see embed.go); the committed dist/.gitkeep
// keeps that embed valid without a build, so every build puts it back.
const keepDist: Plugin = {
  name: 'docuvault-keep-dist',
  apply: 'build',
  writeBundle(options) {
    writeFileSync(`${options.dir}/.gitkeep`, '')
  },
}

export default defineConfig({
  plugins: [vue(), keepDist],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  build: { outDir: 'dist', emptyOutDir: true, assetsDir: 'assets' },
  server: {
    // `npm run dev` against a server started with `make run` (port 8080).
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/dav': 'http://127.0.0.1:8080',
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
  },
})
