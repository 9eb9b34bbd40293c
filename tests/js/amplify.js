#!/usr/bin/env node
// AWS Amplify JS v6 (aws-amplify, pinned in package.json) driven against a Cognito endpoint.
//
// Usage: node amplify.js SCENARIO
// Config: AIOCOGNITO_JS_CONFIG holds {"endpoint", "poolId", "clientId", "username", "password",
//   "email", "totpSecret"}.
// Codes the server "sends" (e-mail OTP, MFA, sign-up) are asked of the Python test: the script prints
// {"need": "code", "what": "..."} and reads one line from stdin.
// Output: the last stdout line is {"ok": true, ...findings, "calls": [...]} or {"ok": false, "error"}.
// Every request Amplify sends is recorded in "calls" (as in scenarios.js). A watchdog bounds the run.
'use strict';

const crypto = require('crypto');
const readline = require('readline');

const { config, errorOf, recordCalls, run, totp } = require('./harness');

// Amplify calls the global fetch: record each Cognito request before the library loads.
const calls = recordCalls();

// Amplify uses Web Crypto's getRandomValues; node 18 has it only as crypto.webcrypto.
if (typeof globalThis.crypto === 'undefined') globalThis.crypto = crypto.webcrypto;
// Amplify names a new device after navigator.userAgent (ConfirmDevice's DeviceName); node 20 has no
// navigator, so a device would silently never be confirmed.
if (typeof globalThis.navigator === 'undefined') {
  globalThis.navigator = { userAgent: `node/${process.versions.node}` };
}

const { Amplify } = require('aws-amplify');
const auth = require('aws-amplify/auth');

// --- helpers ------------------------------------------------------------------------------------

function configure(cfg) {
  Amplify.configure({
    Auth: {
      Cognito: {
        userPoolId: cfg.poolId,
        userPoolClientId: cfg.clientId,
        userPoolEndpoint: cfg.endpoint,
        loginWith: { email: true, username: true },
      },
    },
  });
}

const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();

// A code the Python side reads from the local pool's outbox.
async function ask(what) {
  process.stdout.write(JSON.stringify({ need: 'code', what }) + '\n');
  const next = await lines.next();
  if (next.done) throw new Error(`no answer for ${what}`);
  return next.value.trim();
}

// The signed-in user's tokens as the server made them (claims only).
async function session(options) {
  const { tokens } = await auth.fetchAuthSession(options);
  if (!tokens || !tokens.accessToken) return null;
  return {
    username: tokens.accessToken.payload.username,
    client: tokens.accessToken.payload.client_id,
    jti: tokens.accessToken.payload.jti,
    deviceKey: tokens.accessToken.payload.device_key || null,
    email: tokens.idToken ? tokens.idToken.payload.email || null : null,
  };
}

// USER_PASSWORD_AUTH where the flow is not what a scenario is about: Amplify's SRP in JS costs a second.
const PLAIN = { authFlowType: 'USER_PASSWORD_AUTH' };

// Sign-in steps seen until done: answers are looked up by step name in `answers`.
async function walk(output, answers) {
  const steps = [];
  let result = output;
  for (let i = 0; i < 6 && !result.isSignedIn; i += 1) {
    const step = result.nextStep.signInStep;
    steps.push(step);
    const answer = answers[step];
    if (!answer) throw new Error(`no answer for the step ${step}: ${JSON.stringify(result.nextStep)}`);
    result = await auth.confirmSignIn({ challengeResponse: await answer(result.nextStep) });
  }
  if (!result.isSignedIn) throw new Error(`not signed in after ${JSON.stringify(steps)}`);
  return steps;
}

// A browser's passkey API, just enough for Amplify: the key was registered by the Python side (its
// PKCS#8 PEM in cfg.passkey); assertions are signed here with node's crypto, as an authenticator would.
function installPasskeyBrowser(passkey) {
  class PublicKeyCredential {}
  class AuthenticatorAssertionResponse {}
  const key = crypto.createPrivateKey(passkey.pem);
  const buffer = (bytes) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  let signCount = passkey.signCount;
  globalThis.window = { document: {}, isSecureContext: true, PublicKeyCredential };
  globalThis.PublicKeyCredential = PublicKeyCredential;
  globalThis.AuthenticatorAssertionResponse = AuthenticatorAssertionResponse;
  navigator.credentials = {
    get: async ({ publicKey }) => {
      signCount += 1;
      const count = Buffer.alloc(4);
      count.writeUInt32BE(signCount);
      const rpIdHash = crypto.createHash('sha256').update(publicKey.rpId).digest();
      const authData = Buffer.concat([rpIdHash, Buffer.from([0x05]), count]); // user present + verified
      const clientData = Buffer.from(
        JSON.stringify({
          type: 'webauthn.get',
          challenge: Buffer.from(publicKey.challenge).toString('base64url'),
          origin: passkey.origin,
          crossOrigin: false,
        }),
      );
      const signed = Buffer.concat([authData, crypto.createHash('sha256').update(clientData).digest()]);
      const response = Object.assign(Object.create(AuthenticatorAssertionResponse.prototype), {
        clientDataJSON: buffer(clientData),
        authenticatorData: buffer(authData),
        signature: buffer(crypto.sign('sha256', signed, key)),
        userHandle: buffer(Buffer.from(passkey.userHandle, 'base64url')),
      });
      return Object.assign(Object.create(PublicKeyCredential.prototype), {
        id: passkey.id,
        rawId: buffer(Buffer.from(passkey.id, 'base64url')),
        type: 'public-key',
        authenticatorAttachment: 'platform',
        response,
        getClientExtensionResults: () => ({}),
      });
    },
  };
}

// --- scenarios ----------------------------------------------------------------------------------

const scenarios = {
  // The default flow (USER_SRP_AUTH), then a wrong password.
  async 'srp-password'(cfg) {
    const out = await auth.signIn({ username: cfg.username, password: cfg.password });
    const steps = await walk(out, {});
    const tokens = await session();
    await auth.signOut();
    let refused = null;
    try {
      await auth.signIn({ username: cfg.username, password: cfg.password + 'x' });
    } catch (err) {
      refused = errorOf(err);
    }
    return { steps, tokens, refused };
  },

  // USER_AUTH first factor PASSWORD_SRP and PASSWORD, named as preferred.
  async 'user-auth-password'(cfg) {
    const found = {};
    for (const preferred of ['PASSWORD_SRP', 'PASSWORD']) {
      const out = await auth.signIn({
        username: cfg.username,
        password: cfg.password,
        options: { authFlowType: 'USER_AUTH', preferredChallenge: preferred },
      });
      found[preferred] = { steps: await walk(out, {}), tokens: await session() };
      await auth.signOut();
    }
    return found;
  },

  // USER_AUTH without a preference: SELECT_CHALLENGE, then the password.
  async 'user-auth-select'(cfg) {
    const out = await auth.signIn({ username: cfg.username, options: { authFlowType: 'USER_AUTH' } });
    const available = out.nextStep.availableChallenges || null;
    const steps = await walk(out, {
      CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION: async () => 'PASSWORD',
      CONFIRM_SIGN_IN_WITH_PASSWORD: async () => cfg.password,
    });
    return { available, steps, tokens: await session() };
  },

  // USER_AUTH first factor EMAIL_OTP: no password at all.
  async 'user-auth-email-otp'(cfg) {
    const out = await auth.signIn({
      username: cfg.username,
      options: { authFlowType: 'USER_AUTH', preferredChallenge: 'EMAIL_OTP' },
    });
    const steps = await walk(out, { CONFIRM_SIGN_IN_WITH_EMAIL_CODE: async () => ask('OTP') });
    return { steps, tokens: await session() };
  },

  // TOTP set up inside the sign-in (MFA required), then a sign-in that asks the code.
  async 'totp-mfa'(cfg) {
    let secret = null;
    const setup = await walk(await auth.signIn({ username: cfg.username, password: cfg.password }), {
      CONTINUE_SIGN_IN_WITH_MFA_SETUP_SELECTION: async () => 'TOTP',
      CONTINUE_SIGN_IN_WITH_TOTP_SETUP: async (next) => {
        secret = next.totpSetupDetails.sharedSecret;
        return totp(secret);
      },
    });
    const preference = await auth.fetchMFAPreference();
    await auth.signOut();
    // The next 30-second step's code (in the window either side): a code is not used twice.
    const again = await walk(await auth.signIn({ username: cfg.username, password: cfg.password }), {
      CONFIRM_SIGN_IN_WITH_TOTP_CODE: async () => totp(secret, Date.now() / 1000 + 30),
    });
    return { setup, preference, again, tokens: await session() };
  },

  // E-mail MFA after the password.
  async 'email-mfa'(cfg) {
    const out = await auth.signIn({ username: cfg.username, password: cfg.password, options: PLAIN });
    const steps = await walk(out, {
      CONFIRM_SIGN_IN_WITH_EMAIL_CODE: async () => ask('MFA'),
    });
    return { steps, tokens: await session(), preference: await auth.fetchMFAPreference() };
  },

  // A tracked device: confirmed by Amplify at sign-in, remembered, listed, then device SRP, forgotten.
  async devices(cfg) {
    const first = await walk(await auth.signIn({ username: cfg.username, password: cfg.password }), {});
    const firstTokens = await session();
    await auth.rememberDevice();
    const listed = (await auth.fetchDevices()).map((d) => ({ id: d.id, name: d.name || null }));
    await auth.signOut();
    const mark = calls.length;
    await walk(await auth.signIn({ username: cfg.username, password: cfg.password }), {});
    const secondCalls = calls.slice(mark);
    const secondTokens = await session();
    await auth.forgetDevice();
    const after = (await auth.fetchDevices()).map((d) => d.id);
    return { first, firstTokens, listed, secondCalls, secondTokens, after };
  },

  // fetchAuthSession with forceRefresh: new tokens from the refresh token.
  async refresh(cfg) {
    await walk(await auth.signIn({ username: cfg.username, password: cfg.password, options: PLAIN }), {});
    const before = await session();
    const mark = calls.length;
    const after = await session({ forceRefresh: true });
    const current = await auth.getCurrentUser();
    return { before, after, refreshCalls: calls.slice(mark), current: current.username };
  },

  // Passkeys registered beforehand (by the test): listed and deleted through Amplify.
  async 'passkey-list'(cfg) {
    await walk(await auth.signIn({ username: cfg.username, password: cfg.password, options: PLAIN }), {});
    const listed = await auth.listWebAuthnCredentials();
    const ids = listed.credentials.map((c) => c.credentialId);
    const first = listed.credentials[0] || null;
    await auth.deleteWebAuthnCredential({ credentialId: ids[0] });
    const after = (await auth.listWebAuthnCredentials()).credentials.map((c) => c.credentialId);
    return { ids, first, after };
  },

  // USER_AUTH with the WEB_AUTHN first factor: Amplify asks navigator.credentials.get itself.
  async 'passkey-sign-in'(cfg) {
    installPasskeyBrowser(cfg.passkey);
    const out = await auth.signIn({
      username: cfg.username,
      options: { authFlowType: 'USER_AUTH', preferredChallenge: 'WEB_AUTHN' },
    });
    const steps = await walk(out, {});
    return { steps, tokens: await session() };
  },

  // signUp with autoSignIn, confirmSignUp with the e-mailed code, then autoSignIn (USER_AUTH).
  async 'auto-sign-in'(cfg) {
    const up = await auth.signUp({
      username: cfg.username,
      password: cfg.password,
      options: { userAttributes: { email: cfg.email }, autoSignIn: { authFlowType: 'USER_AUTH' } },
    });
    const confirmed = await auth.confirmSignUp({
      username: cfg.username,
      confirmationCode: await ask('SIGN_UP'),
    });
    const steps = [up.nextStep.signUpStep, confirmed.nextStep.signUpStep];
    const signedIn = await auth.autoSignIn();
    const next = signedIn.isSignedIn ? null : signedIn.nextStep.signInStep;
    return { steps, isSignedIn: signedIn.isSignedIn, next, tokens: signedIn.isSignedIn ? await session() : null };
  },
};

run(scenarios, calls, { prepare: configure, exit: true });
