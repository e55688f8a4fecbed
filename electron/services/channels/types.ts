export type { Signer } from '../../../shared/crypto/signed-payload';
export type { DoubleSignedPayload } from '../../../shared/protocol/schemas';
