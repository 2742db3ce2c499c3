#!/usr/bin/env node
// Writes ONNX Runtime's own optimization of a model, as ONNX Runtime saves it (issue 19's "ORT-optimized"
// samples are made in the test, not committed):
//   node optimize_model.js IN.onnx OUT.onnx
// graphOptimizationLevel 'all' on the CPU provider (transformer fusions: Attention, SkipLayerNormalization,
// BiasGelu, FusedMatMul, ...), saved through optimizedModelFilePath. Exit 77 without onnxruntime-node.
'use strict';
let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  console.error('optimize_model: onnxruntime-node is not installed (cd tests/numeric && ONNXRUNTIME_NODE_INSTALL=skip npm ci)');
  process.exit(77);
}

async function main() {
  if (process.argv.length !== 4) {
    console.error('usage: node optimize_model.js IN.onnx OUT.onnx');
    process.exit(2);
  }
  await ort.InferenceSession.create(process.argv[2], {
    graphOptimizationLevel: 'all',
    optimizedModelFilePath: process.argv[3],
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
  });
}

main().catch((e) => {
  console.error('optimize_model: ' + e.message.split('\n')[0]);
  process.exit(1);
});
