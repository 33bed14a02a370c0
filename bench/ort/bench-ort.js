// ONNX Runtime's side of bench/all.sh, through onnxruntime-node (the CPU
// library ships in the package): one intra-op thread, sequential execution,
// every graph optimisation. Each command prints one figure; bench/all.sh runs
// it several times and reports the median with min and max.
//   node bench-ort.js latency MODEL.onnx C,H,W RUNS        -> median µs per batch-1 run
//   node bench-ort.js throughput MODEL.onnx C,H,W BATCH RUNS -> samples/s (median batch)
//   node bench-ort.js check MODEL.onnx C,H,W N IN.f32 NN_OUT.f32 [TORCH_OUT.f32]
//        -> the largest |ORT - gst-nn| over N samples (and PyTorch's); exit 1 above 1e-4
// A one-ReLU model of the same input through latency/throughput gives the
// binding's own cost, which bench/all.sh takes out of the model's time.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

const TOLERANCE = 1e-4;

function fail(msg) {
  process.stderr.write(`bench-ort: ${msg}\n`);
  process.exit(1);
}

async function open(path) {
  return ort.InferenceSession.create(path, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
}

function feeds(session, shape, n, data) {
  const size = shape.reduce((a, b) => a * b, 1) * n;
  if (!data) {
    data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = (i % 13) / 13;
  }
  if (data.length !== size) fail(`input holds ${data.length} floats, ${n} samples of ${shape} need ${size}`);
  return { [session.inputNames[0]]: new ort.Tensor('float32', data, [n, ...shape]) };
}

function median(v) {
  v.sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)];
}

// median seconds of one session.run over `runs`, after a warm-up
async function time(session, input, runs, warmup) {
  for (let i = 0; i < warmup; i++) await session.run(input);
  const t = new Array(runs);
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(input);
    t[i] = Number(process.hrtime.bigint() - t0) / 1e9;
  }
  return median(t);
}

function readFloats(path) {
  const b = fs.readFileSync(path);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

function maxDiff(a, b, what) {
  if (a.length !== b.length) fail(`${what}: ${a.length} outputs against ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d; // NaN propagates as a failure
  }
  return m;
}

async function main() {
  const [cmd, model, shapeArg, ...rest] = process.argv.slice(2);
  if (!cmd || !model || !shapeArg) fail('usage: see the head of bench/ort/bench-ort.js');
  const shape = shapeArg.split(',').map(Number);
  const session = await open(model);
  if (cmd === 'latency') {
    const t = await time(session, feeds(session, shape, 1), Number(rest[0]), 50);
    console.log((t * 1e6).toFixed(1));
  } else if (cmd === 'throughput') {
    const n = Number(rest[0]);
    const t = await time(session, feeds(session, shape, n), Number(rest[1]), 5);
    console.log((n / t).toFixed(0));
  } else if (cmd === 'check') {
    const n = Number(rest[0]);
    const out = await session.run(feeds(session, shape, n, readFloats(rest[1])));
    const y = out[session.outputNames[0]].data;
    const d = maxDiff(y, readFloats(rest[2]), 'ONNX Runtime against gst-nn');
    let line = `max |ONNX Runtime - gst-nn| ${d.toExponential(2)}`;
    if (rest[3]) line += `, max |PyTorch - gst-nn| ${maxDiff(readFloats(rest[3]), readFloats(rest[2]), 'PyTorch against gst-nn').toExponential(2)}`;
    console.log(line);
    if (!(d <= TOLERANCE)) fail(`${model}: ONNX Runtime and gst-nn differ by ${d} (> ${TOLERANCE})`);
  } else {
    fail(`unknown command ${cmd}`);
  }
}

main().catch((e) => fail(e.message || String(e)));
