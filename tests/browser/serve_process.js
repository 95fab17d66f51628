// `driftlab serve --port 0 --quiet` as a child process, resolved with the
// URL it prints (no trailing slash); shared by the browser tests and the
// lab's benchmarks.
'use strict';
const { spawn } = require('child_process');

function startServer(driftlab) {
  return new Promise((resolve, reject) => {
    const proc = spawn(driftlab, ['serve', '--port', '0', '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', d => {
      out += d;
      const m = out.match(/http:\/\/[^\s/]+/);
      if (m) resolve({ proc, url: m[0] });
    });
    proc.on('exit', code => reject(new Error(`driftlab serve exited ${code}`)));
  });
}

module.exports = { startServer };
