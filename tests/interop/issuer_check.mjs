// Independent check of what a running mcred issuer serves (tests/interop/test_issuer_interop.py):
// Digital Bazaar's @digitalbazaar/vc + DataIntegrityProof/eddsa-rdfc-2022 verify a credential
// mcred issued, resolving the issuer's did:web over HTTP from the server; and
// @digitalbazaar/vc-bitstring-status-list's checkStatus fetches, verifies and decodes the
// BitstringStatusListCredential the server publishes.
//
// Input on stdin: {credential, contexts: {url: doc}, origin: "http://localhost:<port>"}.
// Output on stdout: {verified, error?, verificationMethod, status: {verified, value, message,
//                    error?}}.
//
// ELM credentials carry one two-bit "message" entry (statusSize 2, specs.md §7). The library
// reads one bit per index, so it is used for what it does for any purpose (load the list
// credential, verify its proof and issuer, check purpose and type, decode the gzip'd
// bitstring); the two bits of the entry are then read from its decoded bitstring here
// (BSL §3.2: index i covers bits [i * statusSize, (i + 1) * statusSize), most significant
// first).
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus, decodeList} from '@digitalbazaar/vc-bitstring-status-list';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const origin = new URL(input.origin);
if(!['localhost', '127.0.0.1'].includes(origin.hostname)) {
  throw new Error('this check fetches over http from loopback servers only');
}

// did:web:<host>%3A<port>[:path] -> http://<host>:<port>/<path>/did.json (loopback, test only)
function didWebUrl(did) {
  const parts = did.slice('did:web:'.length).split(':').map(decodeURIComponent);
  const host = parts.shift();
  const path = parts.length ? parts.join('/') : '.well-known';
  return `http://${host}/${path}/did.json`;
}

async function fetchJson(url) {
  const target = new URL(url);
  if(target.origin !== origin.origin) {
    throw new Error(`refusing to fetch ${url}: not the server under test`);
  }
  const response = await fetch(target, {headers: {accept: 'application/json'}});
  if(!response.ok) {
    throw new Error(`GET ${url}: HTTP ${response.status}`);
  }
  return response.json();
}

const fetched = {urls: []};

// Contexts only from what mcred pinned (passed in); DIDs and status lists from the server.
const documentLoader = async url => {
  if(input.contexts[url]) {
    return {contextUrl: null, documentUrl: url, document: input.contexts[url]};
  }
  if(url.startsWith('did:web:')) {
    const [did, fragment] = url.split('#');
    const didUrl = didWebUrl(did);
    fetched.urls.push(didUrl);
    const document = await fetchJson(didUrl);
    if(document.id !== did) {
      throw new Error(`DID document at ${didUrl} is for ${document.id}, not ${did}`);
    }
    if(!fragment) {
      return {contextUrl: null, documentUrl: url, document};
    }
    const vm = (document.verificationMethod || []).find(m => m.id === url);
    if(!vm) {
      throw new Error(`${did} lists no verification method ${url}`);
    }
    return {contextUrl: null, documentUrl: url,
      document: {'@context': 'https://w3id.org/security/multikey/v1', ...vm}};
  }
  if(url.startsWith(origin.origin + '/status/')) {
    fetched.urls.push(url);
    return {contextUrl: null, documentUrl: url, document: await fetchJson(url)};
  }
  throw new Error(`document not found: ${url}`);
};

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});

function messages(error) {
  if(!error) {
    return undefined;
  }
  return (error.errors || [error]).map(e => e.message).join('; ');
}

async function status(credential) {
  const entry = credential.credentialStatus;
  const types = [].concat(entry.type);
  if(!types.includes('BitstringStatusListEntry')) {
    return {verified: false, error: 'no BitstringStatusListEntry'};
  }
  // the library matches `type` as one string; mcred's ELM entry also says CredentialStatus
  const single = {...credential, credentialStatus: {...entry, type: 'BitstringStatusListEntry'}};
  const checked = await checkStatus({credential: single, documentLoader, suite});
  if(!checked.verified) {
    return {verified: false, error: messages(checked.error)};
  }
  const size = entry.statusSize === undefined ? 1 : Number(entry.statusSize);
  const index = parseInt(entry.statusListIndex, 10);
  const {document: listCredential} = await documentLoader(entry.statusListCredential);
  const list = await decodeList({encodedList: listCredential.credentialSubject.encodedList});
  if(list.length < (index + 1) * size || list.length < 131072) {
    return {verified: false, error: `list too short: ${list.length} bits`};
  }
  let value = 0;
  for(let bit = 0; bit < size; bit++) {
    value = (value << 1) | (list.bitstring.get(index * size + bit) ? 1 : 0);
  }
  const hex = '0x' + value.toString(16);
  const message = (entry.statusMessage || []).find(m => m.status === hex)?.message;
  return {verified: true, value, message, bits: list.length};
}

const credential = input.credential;
const result = await vc.verifyCredential({
  credential, suite, documentLoader,
  // the status is checked on its own below, with the value it holds
  checkStatus: async () => ({verified: true})
});
const out = {
  verified: result.verified,
  error: messages(result.error),
  verificationMethod: credential.proof?.verificationMethod,
};
try {
  out.status = await status(credential);
} catch(e) {
  out.status = {verified: false, error: e.message};
}
out.fetched = [...new Set(fetched.urls)];
process.stdout.write(JSON.stringify(out));
