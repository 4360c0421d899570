import { defineConfig } from 'vite';

// Built into ClientApp/dist, which MSBuild copies to the host's output wwwroot; `npm run dev` proxies the APIs to a running Web.Frontend (dotnet run).
export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      // @microsoft/signalr ships /*#__PURE__*/ comments in places Rollup ignores; harmless, so not worth a warning.
      onwarn(warning, warn) {
        if (warning.code === 'INVALID_ANNOTATION') return;
        warn(warning);
      },
    },
  },
  server: {
    proxy: {
      '/api': { target: 'http://localhost:5180', changeOrigin: false },
      '/hubs': { target: 'http://localhost:5180', ws: true },
      '/ws': { target: 'http://localhost:5180', ws: true },
    },
  },
});
