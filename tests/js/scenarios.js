#!/usr/bin/env node
// amazon-cognito-identity-js (a client aiocognito did not write) driven against a Cognito endpoint.
//
// Usage: node scenarios.js SCENARIO
// Config: the environment variable AIOCOGNITO_JS_CONFIG holds a JSON object:
//   {"endpoint": "http://127.0.0.1:PORT/", "poolId": "...", "clientId": "...",
//    "username": "...", "password": "...", "newPassword": "...", "totpSecret": "BASE32..."}
// Output: one JSON line on stdout. {"ok": true, ...the scenario's findings} when the scenario ran to
// its end (expected refusals are findings, e.g. {"code": "NotAuthorizedException"}); otherwise
// {"ok": false, "error": {"code", "message"}} and exit status 1. Every request the library sends is
// recorded in "calls" as "Operation" or "RespondToAuthChallenge:CHALLENGE", so the Python test can
// check which flow really ran (device SRP, MFA or not).
//
// Every wait is bounded: a watchdog (harness.js) ends the process after 60 s.
'use strict';

const { config, errorOf, recordCalls, run, totp } = require('./harness');

// Record every request before the library is loaded: Client.js calls the global fetch.
const calls = recordCalls();

const {
  AuthenticationDetails,
  CognitoRefreshToken,
  CognitoUser,
  CognitoUserAttribute,
  CognitoUserPool,
} = require('amazon-cognito-identity-js');

// --- helpers ------------------------------------------------------------------------------------

// A private storage per "device" (the library keeps tokens and device secrets there).
function memoryStorage() {
  const data = new Map();
  return {
    setItem: (key, value) => data.set(key, String(value)),
    getItem: (key) => (data.has(key) ? data.get(key) : null),
    removeItem: (key) => data.delete(key),
    clear: () => data.clear(),
  };
}

function userPool(cfg, storage) {
  return new CognitoUserPool({
    UserPoolId: cfg.poolId,
    ClientId: cfg.clientId,
    endpoint: cfg.endpoint,
    Storage: storage,
  });
}

function claimsOf(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

// Sign in with SRP. Resolves {session, challenges} or rejects with the Cognito error.
// TOTP challenges are answered from cfg.totpSecret; any other challenge is a failure here.
function signIn(cfg, storage, password) {
  const user = new CognitoUser({ Username: cfg.username, Pool: userPool(cfg, storage), Storage: storage });
  const details = new AuthenticationDetails({ Username: cfg.username, Password: password });
  const challenges = [];
  return new Promise((resolve, reject) => {
    const callbacks = {
      onSuccess: (session) => resolve({ user, session, challenges }),
      onFailure: reject,
      totpRequired: (name) => {
        challenges.push(name);
        if (!cfg.totpSecret) return reject(new Error(`unexpected challenge ${name}`));
        return user.sendMFACode(totp(cfg.totpSecret), callbacks, 'SOFTWARE_TOKEN_MFA');
      },
      mfaRequired: (name) => reject(new Error(`unexpected challenge ${name}`)),
      newPasswordRequired: () => reject(new Error('unexpected challenge NEW_PASSWORD_REQUIRED')),
      customChallenge: () => reject(new Error('unexpected challenge CUSTOM_CHALLENGE')),
      selectMFAType: (name) => reject(new Error(`unexpected challenge ${name}`)),
      mfaSetup: (name) => reject(new Error(`unexpected challenge ${name}`)),
    };
    user.authenticateUser(details, callbacks);
  });
}

// A node-style callback method as a promise.
function call(target, method, ...args) {
  return new Promise((resolve, reject) => {
    target[method](...args, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

// The error code of a call expected to fail, or null if it succeeded.
async function refusal(promise) {
  try {
    await promise;
    return null;
  } catch (err) {
    return errorOf(err);
  }
}

function tokenSummary(session) {
  const access = claimsOf(session.getAccessToken().getJwtToken());
  const id = claimsOf(session.getIdToken().getJwtToken());
  return {
    access: { token_use: access.token_use, username: access.username, client_id: access.client_id,
      iss: access.iss, jti: access.jti, device_key: access.device_key || null },
    id: { token_use: id.token_use, aud: id.aud, username: id['cognito:username'], iss: id.iss },
    hasRefreshToken: Boolean(session.getRefreshToken().getToken()),
    valid: session.isValid(),
  };
}

// --- scenarios ----------------------------------------------------------------------------------

const scenarios = {
  // SRP sign-in, then the tokens' claims.
  async 'sign-in'(cfg) {
    const { session, challenges } = await signIn(cfg, memoryStorage(), cfg.password);
    return { challenges, tokens: tokenSummary(session) };
  },

  // A wrong password is refused with Cognito's error, after a real SRP exchange.
  async 'wrong-password'(cfg) {
    return { refused: await refusal(signIn(cfg, memoryStorage(), `${cfg.password}-wrong`)) };
  },

  // GetUser, UpdateUserAttributes, refreshSession, ChangePassword, GlobalSignOut.
  async account(cfg) {
    const storage = memoryStorage();
    const { user, session } = await signIn(cfg, storage, cfg.password);
    const before = await call(user, 'getUserAttributes');
    const attributes = Object.fromEntries(before.map((a) => [a.getName(), a.getValue()]));

    const update = [new CognitoUserAttribute({ Name: 'given_name', Value: 'Ada-from-js' })];
    await call(user, 'updateAttributes', update);
    const after = await call(user, 'getUserAttributes');
    const updated = Object.fromEntries(after.map((a) => [a.getName(), a.getValue()]));

    const oldAccess = session.getAccessToken().getJwtToken();
    const refreshToken = new CognitoRefreshToken({ RefreshToken: session.getRefreshToken().getToken() });
    const refreshed = await call(user, 'refreshSession', refreshToken);
    const newAccess = refreshed.getAccessToken().getJwtToken();

    await call(user, 'changePassword', cfg.password, cfg.newPassword);
    const oldPasswordRefused = await refusal(signIn(cfg, memoryStorage(), cfg.password));
    const { user: again } = await signIn(cfg, memoryStorage(), cfg.newPassword);

    await new Promise((resolve, reject) => again.globalSignOut({ onSuccess: resolve, onFailure: reject }));
    // The first user's tokens (from before the sign-out) must now be refused.
    // (Not refreshSession: the library retries a refused refresh with backoff for ~6 s.)
    const afterSignOut = await refusal(call(user, 'getUserAttributes'));
    return {
      attributes,
      updated,
      refreshed: {
        newAccessToken: newAccess !== oldAccess,
        tokens: tokenSummary(refreshed),
      },
      oldPasswordRefused,
      afterSignOut,
    };
  },

  // TOTP MFA on the first sign-in; the device it confirms is remembered, and the next sign-in from
  // that device goes through device SRP and is not asked for MFA.
  async device(cfg) {
    const storage = memoryStorage();
    const first = await signIn(cfg, storage, cfg.password);
    const firstCalls = calls.splice(0);
    const deviceKey = first.user.deviceKey || null;
    const second = await signIn(cfg, storage, cfg.password);
    const secondCalls = calls.splice(0);
    const devices = await new Promise((resolve, reject) =>
      second.user.listDevices(10, null, { onSuccess: resolve, onFailure: reject }),
    );
    // Another device (a fresh storage) still has to answer MFA.
    const other = await signIn(cfg, memoryStorage(), cfg.password);
    return {
      first: { challenges: first.challenges, calls: firstCalls, tokens: tokenSummary(first.session) },
      deviceKey,
      second: { challenges: second.challenges, calls: secondCalls, tokens: tokenSummary(second.session) },
      devices: devices.Devices.map((d) => d.DeviceKey),
      other: { challenges: other.challenges },
    };
  },
};

run(scenarios, calls);
