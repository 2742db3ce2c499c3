#!/usr/bin/env node
// Numeric check of extracted models (issue 4): the extracted model, fed the boundary tensors captured
// from one run of the full model, must reproduce the module's output tensors.
//
//   node check_extract.js MANIFEST.json
//
// The manifest (written by tests/extract/numeric_check.cpp) names, per source model:
//   full      the source model
//   capture   the source with every local function inlined and every boundary tensor added as an output
//   inputs    the source's graph inputs: name, elem_type (ONNX enum), shape (numbers, symbols or null)
//   dims      values for symbolic dimensions ({"batch": 2}); others default to 2
//   ranges    optional value ranges per input ({"input_ids": [0, 100]}); integers default to [0, 2)
//   cases     [{label, model, inputs: [names], outputs: [names]}]: extracted models and their boundary
//   tolerance optional, overrides the manifest's
// Runs with graph optimizations disabled and one thread, so the same kernels run in both models.
// Prints one line per case and exits 1 if any output differs by more than `tolerance` (default 1e-6).
'use strict';
const fs = require('fs');
const path = require('path');

let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  console.error('check_extract: onnxruntime-node is not installed (cd tests/numeric && ONNXRUNTIME_NODE_INSTALL=skip npm ci)');
  process.exit(77);
}

// Deterministic pseudo-random numbers (mulberry32).
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function f32ToF16(v) {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  let exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (exp <= 0) return sign;
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | (mant >>> 13);
}

function makeInput(spec, dims, range, random) {
  const shape = (spec.shape || []).map((d) => (typeof d === 'number' && d >= 0 ? d : typeof d === 'string' && d in dims ? dims[d] : 2));
  const count = shape.reduce((a, b) => a * b, 1);
  const [lo, hi] = range || [0, 2];
  const ints = (Ctor, cast) => {
    const data = new Ctor(count);
    for (let i = 0; i < count; ++i) data[i] = cast(lo + Math.floor(random() * (hi - lo)));
    return data;
  };
  const floats = () => {
    const data = new Float32Array(count);
    for (let i = 0; i < count; ++i) data[i] = range ? lo + random() * (hi - lo) : random() * 2 - 1;
    return data;
  };
  switch (spec.elem_type) {
    case 1: return new ort.Tensor('float32', floats(), shape);
    case 11: return new ort.Tensor('float64', Float64Array.from(floats()), shape);
    case 10: return new ort.Tensor('float16', Uint16Array.from(floats(), f32ToF16), shape);
    case 7: return new ort.Tensor('int64', ints(BigInt64Array, BigInt), shape);
    case 6: return new ort.Tensor('int32', ints(Int32Array, Number), shape);
    case 9: return new ort.Tensor('bool', ints(Uint8Array, (v) => v & 1), shape);
    case 2: return new ort.Tensor('uint8', ints(Uint8Array, Number), shape);
    case 3: return new ort.Tensor('int8', ints(Int8Array, Number), shape);
    default: throw new Error(`input ${spec.name}: element type ${spec.elem_type} not supported by the checker`);
  }
}

function halfToFloat(h) {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

// Max abs difference; Infinity on a shape, type or NaN-pattern mismatch.
function compare(a, b) {
  if (a.type !== b.type) return { diff: Infinity, why: `type ${a.type} vs ${b.type}` };
  if (a.dims.join(',') !== b.dims.join(',')) return { diff: Infinity, why: `shape [${a.dims}] vs [${b.dims}]` };
  let max = 0;
  const conv = a.type === 'float16' ? halfToFloat : (v) => v;
  for (let i = 0; i < a.data.length; ++i) {
    let x = a.data[i], y = b.data[i];
    if (typeof x === 'bigint' || typeof y === 'bigint') {
      if (x !== y) return { diff: Infinity, why: `element ${i}: ${x} vs ${y}` };
      continue;
    }
    if (typeof x === 'string') {
      if (x !== y) return { diff: Infinity, why: `element ${i}: "${x}" vs "${y}"` };
      continue;
    }
    x = conv(Number(x));
    y = conv(Number(y));
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) return { diff: Infinity, why: `element ${i}: ${x} vs ${y}` };
      continue;
    }
    if (x === y) continue;
    const d = Math.abs(x - y);
    if (!(d <= max)) max = d;
  }
  return { diff: max };
}

const options = { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' };

async function checkModel(entry, defaultTolerance, seed) {
  const tolerance = entry.tolerance ?? defaultTolerance;
  const random = rng(seed);
  const feeds = {};
  for (const spec of entry.inputs) feeds[spec.name] = makeInput(spec, entry.dims || {}, (entry.ranges || {})[spec.name], random);
  let failures = 0;
  const label = path.basename(entry.full);

  // The capture model must agree with the full model on the full model's own outputs (it is the
  // same graph with functions inlined and more outputs).
  const full = await ort.InferenceSession.create(entry.full, options);
  const reference = await full.run(feeds);
  const capture = await ort.InferenceSession.create(entry.capture, options);
  const captured = await capture.run(feeds);
  for (const name of full.outputNames) {
    const { diff, why } = compare(reference[name], captured[name]);
    if (!(diff <= tolerance)) {
      console.log(`FAIL ${label}: capture model output '${name}' differs from the full model: ${why || 'max abs diff ' + diff}`);
      ++failures;
    }
  }
  const value = (name) => (name in feeds ? feeds[name] : captured[name]);

  let worst = 0;
  for (const c of entry.cases) {
    try {
      const session = await ort.InferenceSession.create(c.model, options);
      const caseFeeds = {};
      for (const name of c.inputs) {
        const v = value(name);
        if (!v) throw new Error(`boundary input '${name}' was not captured`);
        caseFeeds[name] = v;
      }
      const out = await session.run(caseFeeds);
      let caseMax = 0, bad = null;
      for (const name of c.outputs) {
        const expected = value(name);
        if (!expected) throw new Error(`boundary output '${name}' was not captured`);
        const { diff, why } = compare(out[name], expected);
        if (!(diff <= tolerance)) bad = bad || `output '${name}': ${why || 'max abs diff ' + diff}`;
        if (diff > caseMax) caseMax = diff;
      }
      worst = Math.max(worst, caseMax);
      if (bad) {
        console.log(`FAIL ${label} ${c.label}: ${bad}`);
        ++failures;
      } else {
        console.log(`ok   ${label} ${c.label}: ${c.outputs.length} output(s), max abs diff ${caseMax}`);
      }
      if (session.release) await session.release();
    } catch (e) {
      console.log(`FAIL ${label} ${c.label}: ${e.message.split('\n')[0]}`);
      ++failures;
    }
  }
  console.log(`${failures ? 'FAIL' : 'ok  '} ${label}: ${entry.cases.length - Math.min(failures, entry.cases.length)}/${entry.cases.length} extracted models reproduce their outputs (max abs diff ${worst}, tolerance ${tolerance})`);
  return failures;
}

async function main() {
  if (process.argv.length < 3) {
    console.error('usage: node check_extract.js MANIFEST.json');
    process.exit(2);
  }
  const manifest = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const tolerance = manifest.tolerance ?? 1e-6;
  let failures = 0;
  for (const [k, entry] of manifest.models.entries()) {
    try {
      failures += await checkModel(entry, tolerance, 1234 + k);
    } catch (e) {
      console.log(`FAIL ${path.basename(entry.full)}: ${e.message.split('\n')[0]}`);
      ++failures;
    }
  }
  process.exit(failures ? 1 : 0);
}

// check_embed.js reuses the input generator and the comparison.
module.exports = { rng, makeInput, compare, options };
if (require.main === module) main();
