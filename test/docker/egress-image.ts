// A throwaway image with network clients for the Docker egress tests: the host's curl (and the libraries ldd
// lists), a static busybox (sh, nc, nslookup), a static UDP sender and the test CA, imported from a tarball — no registry needed.
import { execFileSync, execSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const CURL = '/usr/bin/curl';
const BUSYBOX = '/bin/busybox';
/** `/udpsend IP PORT`: one datagram (busybox has no UDP client); exit 0 when the kernel took it. */
const UDPSEND_C = `#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>
int main(int c, char **v) { if (c < 3) return 2; int s = socket(AF_INET, SOCK_DGRAM, 0); struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(v[2])) };
  inet_pton(AF_INET, v[1], &a.sin_addr); return sendto(s, "x", 1, 0, (struct sockaddr *)&a, sizeof a) == 1 ? 0 : 1; }
`;

function need(path: string, pkg: string): void {
  if (!existsSync(path)) throw new Error(`the egress test image needs ${path}: apt-get install ${pkg}`);
}

/** Every shared object curl loads, by the path the loader looks it up at (symlinks followed when copied). */
function libsOf(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  return [...out.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1]!);
}

/** Builds `tag` with `docker import`; the caller removes it with removeImage(). */
export function buildEgressImage(tag: string, caCert: string): void {
  need(CURL, 'curl');
  need(BUSYBOX, 'busybox-static');
  const dir = mkdtempSync(join(tmpdir(), 'ari-egress-image-'));
  try {
    const put = (src: string, dst = src) => {
      mkdirSync(join(dir, dirname(dst)), { recursive: true });
      copyFileSync(src, join(dir, dst));
    };
    put(CURL);
    put(BUSYBOX);
    put(caCert, '/ca.pem');
    for (const lib of libsOf(CURL)) put(lib);
    writeFileSync(join(dir, 'udpsend.c'), UDPSEND_C);
    execFileSync('gcc', ['-static', '-O2', '-o', join(dir, 'udpsend'), join(dir, 'udpsend.c')], { stdio: 'pipe' });
    rmSync(join(dir, 'udpsend.c'));
    mkdirSync(join(dir, 'tmp'));
    execSync(`tar -C ${dir} -cf - . | docker import -c 'USER 65534:65534' - ${tag}`, { stdio: ['ignore', 'ignore', 'pipe'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function removeImage(tag: string): void {
  execFileSync('docker', ['rmi', '-f', tag], { stdio: 'ignore' });
}

/**
 * A shell agent that ignores its task and runs each probe, reporting `{name: {rc, out}}` (out: the probe's stdout,
 * which must be JSON-safe, e.g. curl -w numbers). Probes may use $GW.
 */
export function probeScript(probes: Record<string, string>): string {
  const names = Object.keys(probes);
  const run = names.map((n, i) => `p${i}=$(${probes[n]} 2>/dev/null); r${i}=$?`).join('\n');
  const fields = names.map((n, i) => `"${n}":{"rc":'$r${i}',"out":"'"$p${i}"'"}`).join(',');
  // $GW: the gateway (the proxy's host), taken from the proxy URL the backend put in the environment.
  return `/bin/busybox cat >/dev/null\nGW=\${http_proxy#http://}; GW=\${GW%:*}\n${run}\necho '{"output":{${fields}}}'\n`;
}
