// What the interop drivers (scenarios.js: amazon-cognito-identity-js; amplify.js: AWS Amplify JS v6)
// share: the request recorder, the config, errors as JSON, TOTP codes, and the bounded main.
'use strict';

const crypto = require('crypto');

const TIMEOUT_MS = 60000;

// Record every Cognito request as "Operation", "InitiateAuth:FLOW" or "RespondToAuthChallenge:NAME",
// so the Python test can check which flow really ran. Install it before the library loads: both call
// the global fetch. AMP_DEBUG=1 also logs each request and reply on stderr.
function recordCalls() {
  const calls = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (url, options) => {
    const headers = (options && options.headers) || {};
    const target = headers['X-Amz-Target'] || headers['x-amz-target'] || '';
    let name = String(target).split('.').pop() || String(url);
    const field = { RespondToAuthChallenge: 'ChallengeName', InitiateAuth: 'AuthFlow' }[name];
    if (field) {
      try {
        name += ':' + JSON.parse(options.body)[field];
      } catch (_) {
        name += ':?';
      }
    }
    calls.push(name);
    if (!process.env.AMP_DEBUG) return realFetch(url, options);
    return realFetch(url, options).then(async (reply) => {
      process.stderr.write(`${name} ${options.body}\n -> ${await reply.clone().text()}\n`);
      return reply;
    });
  };
  return calls;
}

function config() {
  const raw = process.env.AIOCOGNITO_JS_CONFIG;
  if (!raw) throw new Error('AIOCOGNITO_JS_CONFIG is not set');
  return JSON.parse(raw);
}

function errorOf(err) {
  return { code: err.code || err.name || 'Error', message: String(err.message || err) };
}

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of text.toUpperCase().replace(/=+$/, '')) {
    const index = alphabet.indexOf(ch);
    if (index < 0) throw new Error('not base32');
    bits += index.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

// RFC 6238: HMAC-SHA1, 30-second steps, 6 digits.
function totp(secret, at = Date.now() / 1000) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30)));
  const mac = crypto.createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1000000;
  return String(value).padStart(6, '0');
}

// Run the scenario named on the command line with the config; print one JSON line on stdout:
// {"ok": true, ...findings, "calls"} or {"ok": false, "error", "calls"} (exit status 1). A watchdog
// ends the process after TIMEOUT_MS. ``exit``: end the process when done (stdin may keep it alive).
function run(scenarios, calls, { prepare = () => {}, exit = false } = {}) {
  async function main() {
    const name = process.argv[2];
    const scenario = scenarios[name];
    if (!scenario) {
      throw Object.assign(new Error(`unknown scenario ${name}: one of ${Object.keys(scenarios)}`), {
        code: 'UsageError',
      });
    }
    const cfg = config();
    prepare(cfg);
    const result = await scenario(cfg);
    return { ok: true, scenario: name, ...result, calls: result.calls || calls };
  }

  const watchdog = setTimeout(() => {
    const error = { code: 'Timeout', message: `over ${TIMEOUT_MS} ms` };
    process.stdout.write(JSON.stringify({ ok: false, error, calls }) + '\n');
    process.exit(1);
  }, TIMEOUT_MS);

  main().then(
    (result) => {
      clearTimeout(watchdog);
      process.stdout.write(JSON.stringify(result) + '\n');
      if (exit) process.exit(0);
    },
    (err) => {
      clearTimeout(watchdog);
      process.stdout.write(JSON.stringify({ ok: false, error: errorOf(err), calls }) + '\n');
      if (exit) process.exit(1);
      process.exitCode = 1;
    },
  );
}

module.exports = { config, errorOf, recordCalls, run, totp };
