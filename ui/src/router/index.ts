import { createRouter, createWebHistory, type RouteLocationNormalized } from 'vue-router'
import { useSessionStore } from '@/stores/session'

declare module 'vue-router' {
  interface RouteMeta {
    /** Signed-in users only; others go to sign-in and come back. */
    requiresAuth?: boolean
    /** Administrators only. */
    requiresAdmin?: boolean
    /** Sign-in and sign-up: a signed-in user goes home instead. */
    guestOnly?: boolean
    title?: string
  }
}

export const routes = [
  { path: '/', name: 'home', component: () => import('@/views/HomeView.vue'), meta: { requiresAuth: true, title: 'Home' } },
  {
    path: '/files/:path(.*)*',
    name: 'files',
    component: () => import('@/views/FilesView.vue'),
    meta: { requiresAuth: true, title: 'Files' },
  },
  {
    path: '/security',
    name: 'security',
    component: () => import('@/views/SecurityView.vue'),
    meta: { requiresAuth: true, title: 'Security' },
  },
  {
    path: '/storage',
    name: 'storage',
    component: () => import('@/views/StorageView.vue'),
    meta: { requiresAuth: true, title: 'Storage' },
  },
  {
    path: '/admin',
    name: 'admin',
    component: () => import('@/views/AdminView.vue'),
    meta: { requiresAuth: true, requiresAdmin: true, title: 'Users' },
  },
  {
    path: '/signin',
    name: 'signin',
    component: () => import('@/views/SignInView.vue'),
    meta: { guestOnly: true, title: 'Sign in' },
  },
  {
    path: '/signup',
    name: 'signup',
    component: () => import('@/views/SignUpView.vue'),
    meta: { guestOnly: true, title: 'Create an account' },
  },
  {
    path: '/:rest(.*)*',
    name: 'not-found',
    component: () => import('@/views/NotFoundView.vue'),
    meta: { title: 'Not found' },
  },
]

/** Where a route may go: true, or the route to go to instead. */
export async function guard(to: RouteLocationNormalized) {
  const session = useSessionStore()
  await session.restore()
  if (to.meta.requiresAuth && !session.signedIn) {
    return { name: 'signin', query: to.fullPath === '/' ? {} : { next: to.fullPath } }
  }
  if (to.meta.requiresAdmin && !session.isAdmin) return { name: 'home' }
  if (to.meta.guestOnly && session.signedIn) return { name: 'home' }
  return true
}

export function createAppRouter() {
  const router = createRouter({
    history: createWebHistory(),
    routes,
    // Back and forward restore the position; links to #section scroll to it.
    scrollBehavior: (to, _from, saved) => saved ?? (to.hash ? { el: to.hash } : { top: 0 }),
  })
  router.beforeEach(guard)
  router.afterEach((to) => {
    document.title = to.meta.title ? `${to.meta.title} · DocuVault` : 'DocuVault'
  })
  return router
}
