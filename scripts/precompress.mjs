// Writes .br and .gz beside every JS, WASM and CSS file in the site's pkg folder, so the server
// sends the smallest form a browser accepts without compressing on each request.
// Usage: node scripts/precompress.mjs [pkg dir]   (default: target/site/pkg)
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";

const dir = process.argv[2] ?? "target/site/pkg";
for (const name of readdirSync(dir)) {
  if (!/\.(js|wasm|css)$/.test(name)) continue;
  const raw = readFileSync(join(dir, name));
  const br = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  writeFileSync(join(dir, `${name}.br`), br);
  writeFileSync(join(dir, `${name}.gz`), gzipSync(raw, { level: 9 }));
  console.log(`${name}: ${raw.length} bytes, brotli ${br.length}`);
}
