// The DNSSEC layer's public face: keys and key files, signing, compact denial, the signature
// cache. It imports only wire/ and Node built-ins, so the server can sign answers as data.
export { Algorithm, type AlgorithmNumber, ALGORITHM_NAMES } from './algorithm.js';
export {
  type DnssecKey,
  dsRData,
  generateKey,
  keyRData,
  keyRole,
  type KeyRole,
  type KeyTiming,
} from './keys.js';
export { KeyFileError, readKey, readZoneKeys, writeKeyFiles } from './key-files.js';
export { isPublished, isSigning, keyState, type KeyState, nextEvent } from './key-state.js';
export {
  type AnyRData,
  type DnssecRData,
  DnssecType,
  isDnssecRData,
  rdataWire,
  type SignableRRset,
} from './records.js';
export {
  DEFAULT_SIGNATURE_PARAMS,
  rrsigLabels,
  type RrsigRData,
  rrsigRRset,
  type SignatureParams,
  signRRset,
  verifyRrsig,
} from './sign.js';
export { signingKeys, signZone } from './sign-zone.js';
export {
  compactDenialNsec,
  type Denial,
  EDNS_CO,
  negativeTtl,
  successorName,
} from './compact-denial.js';
export { SignatureCache, type SignatureCacheOptions } from './signature-cache.js';
