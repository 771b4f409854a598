#!/usr/bin/env node
// Render resume.json files with one JSON Resume theme from npm, as they are.
//
//   node render_theme.js NODE_MODULES THEME RESUME.json...
//
// One line per resume on stdout: {"file", "ok": true, "length"} or
// {"file", "ok": false, "error"}. Unlike tools/cvcorpus/themes/render.js, no
// second try with a reshaped document: the file must render as it is served.
"use strict";
const fs = require("fs");
const path = require("path");
const url = require("url");

const [nodeModules, theme, ...files] = process.argv.slice(2);

// Some themes read a file from their own node_modules folder, which npm
// hoists to the top: read the hoisted copy instead.
const readFileSync = fs.readFileSync;
fs.readFileSync = function (file, ...rest) {
  if (typeof file === "string" && !fs.existsSync(file)) {
    const m = file.match(/[\\/]jsonresume-theme-[^\\/]+[\\/]node_modules[\\/](.*)$/);
    if (m) {
      const hoisted = path.join(nodeModules, m[1]);
      if (fs.existsSync(hoisted)) return readFileSync.call(fs, hoisted, ...rest);
    }
  }
  return readFileSync.call(fs, file, ...rest);
};

function esmEntry(name) {
  // An ESM-only theme (or a CommonJS build that requires ESM): its "import" entry.
  const dir = path.join(nodeModules, name);
  const pkg = JSON.parse(readFileSync.call(fs, path.join(dir, "package.json"), "utf8"));
  let entry = pkg.exports && pkg.exports["."] ? pkg.exports["."] : pkg.exports;
  while (entry && typeof entry === "object") entry = entry.import || entry.default;
  return url.pathToFileURL(path.join(dir, entry || pkg.module || pkg.main || "index.js")).href;
}

async function loadTheme(name) {
  let mod;
  try {
    mod = require(require.resolve(name, { paths: [path.dirname(nodeModules)] }));
  } catch (err) {
    mod = await import(esmEntry(name));
  }
  for (const cand of [mod, mod && mod.default, mod && mod.default && mod.default.default]) {
    if (cand && typeof cand.render === "function") return cand.render.bind(cand);
  }
  throw new Error(`${name} exports no render()`);
}

async function main() {
  process.on("unhandledRejection", () => {});
  const render = await loadTheme(theme);
  for (const file of files) {
    try {
      const resume = JSON.parse(readFileSync.call(fs, file, "utf8"));
      const html = await render(resume);
      if (typeof html !== "string" || !html.trim()) throw new Error("render returned no HTML");
      process.stdout.write(JSON.stringify({ file, ok: true, length: html.length, html }) + "\n");
    } catch (err) {
      const error = String((err && err.stack) || err).slice(0, 1500);
      process.stdout.write(JSON.stringify({ file, ok: false, error }) + "\n");
    }
  }
}

main().catch((err) => {
  process.stderr.write(String((err && err.stack) || err) + "\n");
  process.exit(1);
});
