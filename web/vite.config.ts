import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/** Built to static files in web/dist; HQ serves them at `/` with the API on the same origin. */
export default defineConfig({
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 800,
  },
});
