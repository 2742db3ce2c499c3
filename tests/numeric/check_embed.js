#!/usr/bin/env node
// ONNX Runtime check of embedded copies (issue 25): the copy written by `hierscope-cli embed` carries
// node metadata only, so on the same random inputs it must give exactly the original's outputs.
//
//   node check_embed.js MANIFEST.json
//
// MANIFEST: {"models": [{"original", "copy", "inputs": [{name, elem_type, shape}], "dims", "ranges"}]}
// (written by tests/embed/test_embed.cpp). Prints one line per model; exit 1 on any difference, 77
// when onnxruntime-node is not installed.
'use strict';
const fs = require('fs');
const path = require('path');

let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  console.error('check_embed: onnxruntime-node is not installed (cd tests/numeric && ONNXRUNTIME_NODE_INSTALL=skip npm ci)');
  process.exit(77);
}
const { rng, makeInput, compare, options } = require('./check_extract.js');

async function checkModel(entry, seed) {
  const random = rng(seed);
  const feeds = {};
  for (const spec of entry.inputs) feeds[spec.name] = makeInput(spec, entry.dims || {}, (entry.ranges || {})[spec.name], random);
  const original = await ort.InferenceSession.create(entry.original, options);
  const copy = await ort.InferenceSession.create(entry.copy, options);
  const expected = await original.run(feeds);
  const actual = await copy.run(feeds);
  let failures = 0;
  for (const name of original.outputNames) {
    const { diff, why } = compare(expected[name], actual[name]);
    if (diff !== 0) {
      console.log(`FAIL ${path.basename(entry.original)}: output '${name}' of the copy differs: ${why || 'max abs diff ' + diff}`);
      ++failures;
    }
  }
  if (!failures)
    console.log(`ok   ${path.basename(entry.original)}: ${original.outputNames.length} output(s) equal (${Object.keys(feeds).length} random inputs)`);
  return failures;
}

async function main() {
  const manifest = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  let failures = 0;
  for (const [k, entry] of manifest.models.entries()) {
    try {
      failures += await checkModel(entry, 4321 + k);
    } catch (e) {
      console.log(`FAIL ${path.basename(entry.original)}: ${e.message.split('\n')[0]}`);
      ++failures;
    }
  }
  process.exit(failures ? 1 : 0);
}

main();
