/**
 * Browser stand-in for `node:crypto`: core/ modules the create form's validation pulls in import
 * hashing and random bytes for key generation and audit digests, which the console never runs.
 * Calling one is a bug, so it throws instead of quietly returning something.
 */
function unavailable(name: string): never {
  throw new Error(`node:crypto ${name} is not available in the console`);
}

export const createHash = (): never => unavailable('createHash');
export const randomBytes = (): never => unavailable('randomBytes');
export const timingSafeEqual = (): never => unavailable('timingSafeEqual');
export const createHmac = (): never => unavailable('createHmac');

export default { createHash, randomBytes, timingSafeEqual, createHmac };
