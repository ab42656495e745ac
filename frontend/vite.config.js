// Builds one small entry per page into dist/, which Django serves under /static/app/ (whitenoise).
// `npm run dev` serves the same entries with hot reload and proxies every Django path to :8000,
// so the pages, the API and the session cookie stay on one origin (see docs/frontend.md).
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const django = process.env.TRACKIFY_DJANGO_URL || "http://127.0.0.1:8000";
const djangoPaths = ["/pay", "/payment", "/invoices", "/settings", "/payments", "/login", "/logout", "/admin", "/api", "/sandbox", "/static/admin", "/static/rest_framework", "/static/drf_spectacular_sidecar"];

export default defineConfig({
  plugins: [react()],
  base: "/static/app/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    manifest: true,
    target: "es2022",
    rollupOptions: {
      input: {
        pay: "src/entries/pay.jsx",
        result: "src/entries/result.jsx",
        settings: "src/entries/settings.jsx",
        payments: "src/entries/payments.jsx",
        notifications: "src/entries/notifications.jsx",
        style: "src/styles/app.css",
      },
    },
  },
  server: {
    port: 5173,
    proxy: Object.fromEntries([["^/$", django], ...djangoPaths.map((p) => [p, django])]),
  },
  test: {
    environment: "jsdom",
    setupFiles: ["tests/setup.js"],
    include: ["tests/**/*.test.{js,jsx}"],
    restoreMocks: true,
  },
});
