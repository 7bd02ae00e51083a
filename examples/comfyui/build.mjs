// Builds dist/index.js (the plugin, self-contained: the small plugin-API runtime and zod are bundled) and
// dist/ui/tile.js (Lit left external: the dashboard's import map provides the shared copy).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
const here = fileURLToPath(new URL('.', import.meta.url));
// Bundled CommonJS dependencies (tapable) call require(): give the ESM bundle a real one.
const banner = { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" };
const alias = { '@spark-control/plugin-api': `${here}../../core/src/api/index.ts` };
await build({ entryPoints: [`${here}src/index.ts`], outfile: `${here}dist/index.js`, bundle: true, alias, format: 'esm', platform: 'node', target: 'node20', banner, logLevel: 'warning' });
await build({ entryPoints: [`${here}ui/tile.ts`], outfile: `${here}dist/ui/tile.js`, bundle: true, format: 'esm', target: 'es2022', external: ['lit', 'lit/*'], logLevel: 'warning' });
