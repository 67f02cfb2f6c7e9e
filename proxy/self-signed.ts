/**
 * A self-signed TLS certificate made in-process (no `openssl` binary, so the
 * prebuilt images on a bare base can make one too): an ECDSA P-256 key and a
 * certificate signed with it, for `<domain>` and every grain host under it
 * (`*.<domain>`), for TLS servers only.
 */
// @peculiar/x509 resolves its parts through tsyringe, which needs the Reflect
// metadata API; the polyfill must be evaluated before the library (ESM
// evaluates imports in order).
import 'reflect-metadata'
import {
  BasicConstraintsExtension, ExtendedKeyUsage, ExtendedKeyUsageExtension, KeyUsageFlags, KeyUsagesExtension,
  PemConverter, SubjectAlternativeNameExtension, SubjectKeyIdentifierExtension, X509CertificateGenerator,
} from '@peculiar/x509'

const DAY_MS = 86_400_000
/** Signature and key: what `openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1` made before. */
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const

export interface KeyPairPem { cert: string, key: string }

/** A new key and a certificate valid from now for `days`, PEM encoded (the key as PKCS #8). */
export async function makeSelfSigned (domain: string, days: number): Promise<KeyPairPem> {
  // Node's Web Crypto (globalThis.crypto), passed explicitly rather than left
  // to the library's process-wide default provider.
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])
  const notBefore = new Date()
  // A positive serial (RFC 5280 4.1.2.2): 16 random bytes with the top bit cleared.
  const serial = Buffer.from(crypto.getRandomValues(new Uint8Array(16)))
  serial[0] = serial[0]! & 0x7f
  const cert = await X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: [{ CN: [domain] }],
    notBefore,
    notAfter: new Date(notBefore.getTime() + days * DAY_MS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new BasicConstraintsExtension(false, undefined, true),
      new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
      new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth]),
      new SubjectAlternativeNameExtension([{ type: 'dns', value: domain }, { type: 'dns', value: `*.${domain}` }]),
      await SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
    ],
  }, crypto)
  const key = PemConverter.encode(await crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY')
  // PEM files end with a newline, as openssl and most tools write them.
  return { cert: `${cert.toString('pem')}\n`, key: `${key}\n` }
}
