// A certificate authority made for one test with Debian's openssl: a CA and leaf certificates it signs, so that
// TLS is checked for real (clients trust the CA, nothing is told to ignore certificate errors).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Leaf {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

export interface TestCa {
  dir: string;
  caFile: string;
  ca: string;
  /** A leaf for `cn` covering `altNames` (`IP:10.77.0.1`, `DNS:fs.test`), signed by the CA. */
  leaf(name: string, cn: string, altNames: string[]): Leaf;
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: 'pipe' });

export function makeTestCa(dir: string): TestCa {
  const caFile = join(dir, 'ca.pem');
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      caFile,
      '-days',
      '2',
      '-subj',
      '/CN=callcenter test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  return {
    dir,
    caFile,
    ca: readFileSync(caFile, 'utf8'),
    leaf(name, cn, altNames) {
      const keyFile = join(dir, `${name}.key`);
      const certFile = join(dir, `${name}.pem`);
      openssl(
        [
          'req',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          keyFile,
          '-out',
          `${name}.csr`,
          '-subj',
          `/CN=${cn}`,
        ],
        dir,
      );
      writeFileSync(
        join(dir, `${name}.ext`),
        `subjectAltName=${altNames.join(',')}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n`,
      );
      openssl(
        [
          'x509',
          '-req',
          '-in',
          `${name}.csr`,
          '-CA',
          caFile,
          '-CAkey',
          'ca.key',
          '-CAcreateserial',
          '-out',
          certFile,
          '-days',
          '1',
          '-extfile',
          `${name}.ext`,
        ],
        dir,
      );
      return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
    },
  };
}
