// Names of the encryption scheme, recorded in manifests so a restore knows what it faces.
export const GPG_CIPHER_NAME = 'gpg-symmetric-AES256';
