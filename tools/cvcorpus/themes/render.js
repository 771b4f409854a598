#!/usr/bin/env node
// Render many resumes with one JSON Resume theme, in one process.
//
//   node render.js THEME JOBS.json
//
// JOBS.json is a list of [resume.json, out.html]. For each job one line
// "@@RESULT {json}" goes to stdout: {"out", "ok": true, "shape"} or
// {"out", "ok": false, "error"}. Themes print what they like on the console;
// only the @@RESULT lines count.
//
// A theme's render(resume) may return a string or a Promise of one. Old
// themes crash on shapes the schema allows (a project without "roles", an
// empty "profiles" list, a country name as countryCode): when the resume as given fails, it is tried again
// with missing lists set to [] (and a countryCode that is no code moved to
// region), then also with empty sections left out. Neither adds text: the
// owner's values are printed as they are.
"use strict";
const fs = require("fs");
const path = require("path");

const TIMEOUT_MS = 30000;
const NODE_MODULES = path.join(__dirname, "node_modules");

function report(row) {
  process.stdout.write("@@RESULT " + JSON.stringify(row) + "\n");
}

// Some themes read a file from their own node_modules folder, which npm
// hoists to the top: read the hoisted copy instead.
const readFileSync = fs.readFileSync;
fs.readFileSync = function (file, ...rest) {
  if (typeof file === "string" && !fs.existsSync(file)) {
    const m = file.match(/[\\/]jsonresume-theme-[^\\/]+[\\/]node_modules[\\/](.*)$/);
    if (m) {
      const hoisted = path.join(NODE_MODULES, m[1]);
      if (fs.existsSync(hoisted)) return readFileSync.call(fs, hoisted, ...rest);
    }
  }
  return readFileSync.call(fs, file, ...rest);
};

async function loadTheme(name) {
  const pkg = name.startsWith("jsonresume-theme-") ? name : "jsonresume-theme-" + name;
  let mod;
  try {
    mod = require(require.resolve(pkg, { paths: [__dirname] }));
  } catch (err) {
    mod = await import(pkg); // ESM-only themes (and CommonJS builds that require ESM)
  }
  for (const cand of [mod, mod && mod.default, mod && mod.default && mod.default.default]) {
    if (cand && typeof cand.render === "function") return cand.render.bind(cand);
  }
  throw new Error(`theme ${pkg} exports no render()`);
}

function withTimeout(p, ms) {
  let timer;
  return Promise.race([
    Promise.resolve(p).finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`render timed out after ${ms} ms`)), ms);
    }),
  ]);
}

const SECTIONS = [
  "work", "volunteer", "education", "awards", "certificates", "publications",
  "skills", "languages", "interests", "references", "projects",
];
const LISTS = ["highlights", "keywords", "courses", "roles"];

function fillLists(resume) {
  const r = JSON.parse(JSON.stringify(resume));
  r.basics = r.basics || {};
  r.basics.profiles = r.basics.profiles || [];
  r.basics.location = r.basics.location || {};
  // a country written out where a two-letter code belongs (Intl.DisplayNames
  // throws on it): printed as the region instead
  const loc = r.basics.location;
  if (typeof loc.countryCode === "string" && !/^[A-Za-z]{2}$/.test(loc.countryCode)) {
    if (!loc.region) loc.region = loc.countryCode;
    delete loc.countryCode;
  }
  for (const s of SECTIONS) {
    r[s] = Array.isArray(r[s]) ? r[s] : [];
    for (const e of r[s]) for (const k of LISTS) if (!Array.isArray(e[k])) e[k] = [];
  }
  return r;
}

function pruneEmpty(resume) {
  const r = fillLists(resume);
  for (const s of SECTIONS) if (!r[s].length) delete r[s];
  if (!r.basics.profiles.length) delete r.basics.profiles;
  return r;
}

async function renderOne(render, resume) {
  const shapes = [["as-is", (r) => r], ["lists", fillLists], ["pruned", pruneEmpty]];
  let last;
  for (const [shape, fix] of shapes) {
    try {
      // a fresh copy each time: themes change the object they are given
      const html = await withTimeout(render(fix(JSON.parse(JSON.stringify(resume)))), TIMEOUT_MS);
      if (typeof html !== "string" || !html.trim()) throw new Error("render returned no HTML");
      return { html, shape };
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

async function main() {
  const [theme, jobsPath] = process.argv.slice(2);
  if (!theme || !jobsPath) {
    process.stderr.write("usage: node render.js THEME JOBS.json\n");
    process.exit(2);
  }
  const jobs = JSON.parse(fs.readFileSync(jobsPath, "utf8"));
  process.on("unhandledRejection", () => {}); // a theme's stray promise: the job's own await reports
  const render = await loadTheme(theme);
  for (const [resumePath, outPath] of jobs) {
    try {
      const resume = JSON.parse(fs.readFileSync(resumePath, "utf8"));
      const { html, shape } = await renderOne(render, resume);
      fs.mkdirSync(path.dirname(outPath), { recursive: true });
      fs.writeFileSync(outPath, html, "utf8");
      report({ out: outPath, ok: true, shape });
    } catch (err) {
      report({ out: outPath, ok: false, error: String((err && err.stack) || err).slice(0, 2000) });
    }
  }
}

main().catch((err) => {
  process.stderr.write(String((err && err.stack) || err) + "\n");
  process.exit(1);
});
