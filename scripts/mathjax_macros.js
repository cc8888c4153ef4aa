// Writes src/deckbuilder/data/mathjax-tex.json: every TeX macro and environment that Anki's
// reviewer MathJax knows (MathJax 3.2.2, tex-full's packages minus textmacros plus noerrors and
// mathtools, as Anki configures it). `deckbuilder check` reports any other macro as undefined.
//   npm install && node scripts/mathjax_macros.js [OUTPUT]   (default: the committed data file)
const fs = require("fs");
const path = require("path");
const root = path.resolve(__dirname, "..");
require(path.join(root, "node_modules/mathjax/es5/node-main.js"));

MathJax.loader.load("input/tex-full").then(() => {
  const tex = MathJax._.input.tex;
  const packages = tex.AllPackages.AllPackages.filter((p) => p !== "textmacros");
  for (const extra of ["noerrors", "mathtools"]) if (!packages.includes(extra)) packages.push(extra);
  const handlers = tex.Configuration.ConfigurationHandler;
  const macros = new Set();
  const environments = new Set();
  for (const name of packages) {
    const config = handlers.get(name);
    if (!config) throw new Error(`no TeX package ${name}`);
    const handler = config.handler;
    for (const kind of ["macro", "character", "delimiter"]) {
      for (const mapName of handler[kind] || []) {
        const map = tex.MapHandler.MapHandler.getMap(mapName);
        if (!map || !map.map) continue;
        for (const key of map.map.keys()) {
          const word = key.replace(/^\\/, "");
          // keep control sequences only: letters (\alpha) or one non-letter (\, \{ \|)
          if (kind === "macro" || /^\\/.test(key) || (kind === "character" && mapName === "command")) {
            if (/^[A-Za-z]+$/.test(word) || word.length === 1) macros.add(word);
          }
        }
      }
    }
    for (const mapName of handler.environment || []) {
      const map = tex.MapHandler.MapHandler.getMap(mapName);
      if (map && map.map) for (const key of map.map.keys()) environments.add(key);
    }
  }
  const out = {
    mathjax: MathJax.version,
    packages,
    macros: [...macros].sort(),
    environments: [...environments].sort(),
  };
  const target = process.argv[2] || path.join(root, "src/deckbuilder/data/mathjax-tex.json");
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, JSON.stringify(out, null, 0) + "\n");
  console.log(`MathJax ${out.mathjax}: ${out.macros.length} macros, ${out.environments.length} environments`);
}).catch((e) => { console.error(e); process.exit(1); });
