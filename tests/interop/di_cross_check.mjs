// Independent Data Integrity check for mcred's tests: Digital Bazaar's stack (the one the W3C
// test suites and many wallets use) signs and verifies eddsa-rdfc-2022 credentials.
// Input on stdin: {mode: "verify"|"sign", document, contexts: {url: doc}, controller: DID doc,
//                  secretKeyMultibase?}. Output on stdout: {verified, error?} or {document}.
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const controller = input.controller;

// Contexts only from what mcred pinned (passed in); DID URLs from the given DID document.
const documentLoader = async url => {
  if(input.contexts[url]) {
    return {contextUrl: null, documentUrl: url, document: input.contexts[url]};
  }
  const [did, fragment] = url.split('#');
  if(did === controller.id) {
    if(!fragment) {
      return {contextUrl: null, documentUrl: url, document: controller};
    }
    const vm = controller.verificationMethod.find(m => m.id === url);
    if(vm) {
      return {contextUrl: null, documentUrl: url,
        document: {'@context': 'https://w3id.org/security/multikey/v1', ...vm}};
    }
  }
  throw new Error(`document not found: ${url}`);
};

if(input.mode === 'verify') {
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
  const result = await vc.verifyCredential({
    credential: input.document, suite, documentLoader,
    checkStatus: async () => ({verified: true})
  });
  const error = result.error ?
    (result.error.errors || [result.error]).map(e => e.message).join('; ') : undefined;
  process.stdout.write(JSON.stringify({verified: result.verified, error}));
} else {
  const vm = controller.verificationMethod[0];
  const key = await Ed25519Multikey.from({...vm, secretKeyMultibase: input.secretKeyMultibase});
  const suite = new DataIntegrityProof({signer: key.signer(), cryptosuite: eddsaRdfc2022});
  const signed = await vc.issue({credential: input.document, suite, documentLoader});
  process.stdout.write(JSON.stringify({document: signed}));
}
