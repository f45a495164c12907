import { defineConfig } from "vitest/config";

// The UI is served by the Tauri shell from ui/dist (tauri.conf.json `frontendDist`), so it is
// built with relative asset paths and no dev-only globals.
export default defineConfig({
  base: "./",
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // WebKitGTK 2.50 (Debian 12) and current WebView2/WKWebView all handle this.
    target: "es2022",
    sourcemap: false,
  },
  test: {
    environment: "happy-dom",
    include: ["src/**/*.test.ts"],
    restoreMocks: true,
  },
});
