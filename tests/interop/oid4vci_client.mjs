// An independent OpenID4VCI 1.0 wallet against a running mcred (test_oid4vci_interop.py):
// @openid4vc/openid4vci (openwallet-foundation-labs/oid4vc-ts) takes one credential
// configuration (one copy, or a batch) through the pre-authorized code flow, with fresh holder
// keys made by panva/jose.
//
// Input on stdin: {offer_url: "openid-credential-offer://?credential_offer_uri=…", tx_code,
//                  configuration: "<credential_configuration_id>", alg: "ES256"|"EdDSA",
//                  binding: "jwk"|"did:jwk", copies?: n, replay?: true}.
// Output on stdout: {ok: true, version, offer, token_type, credentials: [n], notification_id,
//                    holders: [{jwk, kid}] (the i-th proof's key), credential_request, replay,
//                    exchanges: [{method, url, status}]}
//                   or {ok: false, error, status, error_response, exchanges}.
//
// The library does every protocol step (resolve the offer, by reference or value, issuer and AS
// metadata, token with pre-authorized_code + tx_code, nonce endpoint, key proof JWT of typ
// openid4vci-proof+jwt, credential request); only the JWT signature and the hashing are ours,
// through its callbacks. It refuses http:// URLs unless allowInsecureUrls is set: the server
// under test is on loopback, so this script sets it and refuses any other host.
import {createHash, randomBytes} from 'node:crypto';
import {exportJWK, generateKeyPair, SignJWT} from 'jose';
import {clientAuthenticationAnonymous} from '@openid4vc/oauth2';
import {Openid4vciClient, setGlobalConfig} from '@openid4vc/openid4vci';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const exchanges = [];
let credentialRequest = null;

function loopbackOnly(url) {
  const target = new URL(url);
  if(target.protocol !== 'http:' || !['127.0.0.1', 'localhost'].includes(target.hostname)) {
    throw new Error(`refusing to fetch ${url}: not a loopback server under test`);
  }
}

// fetch as the library uses it, restricted to loopback and recorded (no bodies but the
// credential request's member names, which say which OpenID4VCI version the library spoke)
async function recordingFetch(resource, init = {}) {
  const url = typeof resource === 'string' ? resource : resource.url ?? String(resource);
  loopbackOnly(url);
  const method = (init.method ?? 'GET').toUpperCase();
  if(method === 'POST' && url.endsWith('/oid4vci/credential') && credentialRequest === null &&
     typeof init.body === 'string') {
    const body = JSON.parse(init.body);
    credentialRequest = {
      members: Object.keys(body).sort(),
      proof_types: Object.keys(body.proofs ?? {}),
      proof_count: Object.values(body.proofs ?? {}).flat().length,
      credential_configuration_id: body.credential_configuration_id ?? null,
    };
  }
  const response = await fetch(resource, init);
  exchanges.push({method, url, status: response.status});
  return response;
}

setGlobalConfig({allowInsecureUrls: true});

// One fresh key per copy asked for (input.copies, default 1: a batch is one proof per copy,
// OpenID4VCI 1.0 §8.2), each with its own signer; signJwt signs only for these signers.
const alg = input.alg;
const holders = [];
for(let i = 0; i < (input.copies ?? 1); i++) {
  const {publicKey, privateKey} = await generateKeyPair(
    alg, {crv: alg === 'EdDSA' ? 'Ed25519' : undefined});
  const publicJwk = await exportJWK(publicKey);
  let signer;
  if(input.binding === 'did:jwk') {
    const did = `did:jwk:${Buffer.from(JSON.stringify(publicJwk)).toString('base64url')}`;
    signer = {method: 'did', didUrl: `${did}#0`, alg};
  } else {
    signer = {method: 'jwk', publicJwk, alg};
  }
  holders.push({signer, publicJwk, privateKey});
}

const callbacks = {
  fetch: recordingFetch,
  hash: (data, algorithm) => createHash(algorithm.replace('-', '')).update(data).digest(),
  generateRandom: length => randomBytes(length),
  clientAuthentication: clientAuthenticationAnonymous(),
  signJwt: async (jwtSigner, {header, payload}) => {
    const holder = holders.find(h => h.signer === jwtSigner);
    if(!holder) {
      throw new Error('asked to sign with a key this wallet does not hold');
    }
    const jwt = await new SignJWT(payload).setProtectedHeader(header).sign(holder.privateKey);
    return {jwt, signerJwk: holder.publicJwk};
  },
};

const client = new Openid4vciClient({callbacks});

// The library's errors carry the server's answer: Oauth2ClientErrorResponseError (token) has
// errorResponse + response; Openid4vciRetrieveCredentialsError (credential) has a response
// record holding the fetch response and the parsed credential error response.
function describe(error) {
  const response = error.response?.response ?? error.response;
  return {
    error: `${error.constructor?.name ?? error.name}: ${error.message}`,
    status: typeof response?.status === 'number' ? response.status : null,
    error_response: error.errorResponse ??
      error.response?.credentialErrorResponseResult?.data ?? null,
  };
}

try {
  const offer = await client.resolveCredentialOffer(input.offer_url);
  const issuerMetadata = await client.resolveIssuerMetadata(offer.credential_issuer);
  if(!offer.credential_configuration_ids.includes(input.configuration)) {
    throw new Error(`the offer does not name ${input.configuration}`);
  }
  const {accessTokenResponse} = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer: offer,
    issuerMetadata,
    txCode: input.tx_code ?? undefined,
  });
  const {c_nonce: nonce} = await client.requestNonce({issuerMetadata});
  const jwts = [];
  for(const {signer} of holders) {
    const {jwt} = await client.createCredentialRequestJwtProof({
      issuerMetadata,
      credentialConfigurationId: input.configuration,
      signer,
      nonce,
    });
    jwts.push(jwt);
  }
  const {credentialResponse} = await client.retrieveCredentials({
    issuerMetadata,
    accessToken: accessTokenResponse.access_token,
    credentialConfigurationId: input.configuration,
    proofs: {jwt: jwts},
  });
  const credentials = credentialResponse.credentials ?? [];
  // with input.replay, the same key proof (its c_nonce already used) is sent once more; the
  // library's reading of the issuer's refusal is reported
  let replay = null;
  if(input.replay) {
    try {
      await client.retrieveCredentials({
        issuerMetadata,
        accessToken: accessTokenResponse.access_token,
        credentialConfigurationId: input.configuration,
        proofs: {jwt: jwts},
      });
      replay = {accepted: true};
    } catch(error) {
      replay = {accepted: false, ...describe(error)};
    }
  }
  if(credentials.length !== holders.length) {
    throw new Error(`asked for ${holders.length} credentials, got ${credentials.length}`);
  }
  process.stdout.write(JSON.stringify({
    ok: true,
    version: issuerMetadata.originalDraftVersion,
    offer,
    token_type: accessTokenResponse.token_type,
    credentials: credentials.map(c => c.credential),
    notification_id: credentialResponse.notification_id ?? null,
    holders: holders.map(({signer, publicJwk}) => ({
      jwk: publicJwk, kid: signer.method === 'did' ? signer.didUrl : null})),
    credential_request: credentialRequest,
    replay,
    exchanges,
  }));
} catch(error) {
  process.stdout.write(JSON.stringify({ok: false, ...describe(error), exchanges}));
}
