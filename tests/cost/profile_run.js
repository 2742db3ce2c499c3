#!/usr/bin/env node
// Profiles a model in ONNX Runtime (CPU) for the profile test of `hierscope-cli cost` (issue 21):
//
//   node profile_run.js MODEL OUT_PREFIX RUNS OPTIMIZATION [NAME=VALUE ...]
//
// OPTIMIZATION is ONNX Runtime's graphOptimizationLevel ('disabled', 'all', ...); NAME=VALUE binds a
// symbolic input dimension (others are 2). Inputs are random (integers in [0, 2)). Runs the model RUNS
// times with profiling on, ends profiling and prints one JSON line: {"trace": path of the trace,
// "runs": RUNS, "kernel_us_per_run": the trace's kernel time per run, summed here independently of
// Hierscope, "events": kernel events}. Exit 77 when onnxruntime-node is not installed.
'use strict';
const fs = require('fs');
const path = require('path');

let ort;
try {
  ort = require(path.join(__dirname, '..', 'numeric', 'node_modules', 'onnxruntime-node'));
} catch (e) {
  console.error('profile_run: onnxruntime-node is not installed in tests/numeric/node_modules');
  process.exit(77);
}

function input(meta, dims) {
  const shape = meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : d in dims ? dims[d] : 2));
  const count = shape.reduce((a, b) => a * b, 1);
  switch (meta.type) {
    case 'float32': return new ort.Tensor('float32', Float32Array.from({ length: count }, (_, i) => Math.sin(i)), shape);
    case 'int64': return new ort.Tensor('int64', BigInt64Array.from({ length: count }, (_, i) => BigInt(i & 1)), shape);
    case 'int32': return new ort.Tensor('int32', Int32Array.from({ length: count }, (_, i) => i & 1), shape);
    case 'bool': return new ort.Tensor('bool', Uint8Array.from({ length: count }, (_, i) => i & 1), shape);
    default: throw new Error(`input ${meta.name}: type ${meta.type} not supported`);
  }
}

async function main() {
  const [model, prefix, runsText, level, ...bindings] = process.argv.slice(2);
  if (!model || !prefix || !runsText || !level) {
    console.error('usage: node profile_run.js MODEL OUT_PREFIX RUNS OPTIMIZATION [NAME=VALUE ...]');
    process.exit(2);
  }
  const dims = {};
  for (const b of bindings) {
    const [name, value] = b.split('=');
    dims[name] = Number(value);
  }
  const session = await ort.InferenceSession.create(model, {
    graphOptimizationLevel: level, intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
    enableProfiling: true, profileFilePrefix: prefix,
  });
  const feeds = {};
  for (const meta of session.inputMetadata) feeds[meta.name] = input(meta, dims);
  const runs = Number(runsText);
  for (let r = 0; r < runs; ++r) await session.run(feeds);
  session.endProfiling();
  // The trace is written as <prefix>_<date>.json; take the newest.
  const dir = path.dirname(prefix), base = path.basename(prefix);
  const traces = fs.readdirSync(dir).filter((f) => f.startsWith(base + '_') && f.endsWith('.json'))
    .map((f) => path.join(dir, f)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (!traces.length) throw new Error(`no trace written with prefix ${prefix}`);
  const events = JSON.parse(fs.readFileSync(traces[0], 'utf8'));
  let us = 0, kernels = 0;
  for (const e of events)
    if (typeof e.name === 'string' && e.name.endsWith('_kernel_time')) us += e.dur, ++kernels;
  console.log(JSON.stringify({ trace: traces[0], runs, kernel_us_per_run: us / runs, events: kernels }));
}

main().catch((e) => {
  console.error('profile_run: ' + e.message);
  process.exit(1);
});
