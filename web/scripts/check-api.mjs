// Fails when src/api/schema.d.ts is not what openapi-typescript generates from
// the server's OpenAPI document (default ../var/openapi.json, override with
// NIHA_OPENAPI=path). Run `npm run gen:api` to update it.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const spec = resolve(root, process.env.NIHA_OPENAPI ?? "../var/openapi.json");
const committed = join(root, "src/api/schema.d.ts");

if (!existsSync(spec)) {
  console.error(`check:api: ${spec} not found; produce it with \`niha openapi\` first.`);
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), "niha-api-"));
const out = join(dir, "schema.d.ts");
try {
  const bin = join(root, "node_modules/.bin/openapi-typescript");
  execFileSync(bin, [spec, "-o", out], { stdio: ["ignore", "ignore", "inherit"] });
  const fresh = readFileSync(out, "utf8");
  const current = readFileSync(committed, "utf8");
  if (fresh !== current) {
    console.error("check:api: src/api/schema.d.ts is out of date with the server's OpenAPI schema; run `npm run gen:api`.");
    process.exit(1);
  }
  console.log("check:api: src/api/schema.d.ts matches the server's OpenAPI schema.");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
