import { gzipSync } from 'node:zlib';

/**
 * A gzip'd tar (POSIX ustar) of regular files, as Helm's `helm package` writes a chart archive
 * (helm/pkg/chart/v2/util/save.go writes file entries only, no directory entries, mode 0644) and as an
 * OCI image layer is. Deterministic: fixed mtime, uid/gid 0, so the same files give the same digest.
 */
export interface TarFile {
  /** Path inside the archive, `/`-separated, no leading slash (`karpenter/Chart.yaml`). */
  path: string;
  content: string | Buffer;
  mode?: number;
}

const BLOCK = 512;
/** 2026-01-01T00:00:00Z: archives do not change digest from run to run. */
const FIXED_MTIME = 1767225600;

/** Gzip'd ustar archive of `files`. */
export function buildTarGz(files: readonly TarFile[]): Buffer {
  const blocks: Buffer[] = [];
  for (const file of files) {
    const content = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
    blocks.push(header(file.path, content.length, file.mode ?? 0o644));
    blocks.push(content);
    const pad = (BLOCK - (content.length % BLOCK)) % BLOCK;
    if (pad) blocks.push(Buffer.alloc(pad));
  }
  blocks.push(Buffer.alloc(BLOCK * 2)); // end of archive: two zero blocks
  return gzipSync(Buffer.concat(blocks));
}

function header(path: string, size: number, mode: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  const { name, prefix } = splitPath(path);
  h.write(name, 0, 100, 'utf8');
  octal(h, mode, 100, 8);
  octal(h, 0, 108, 8); // uid
  octal(h, 0, 116, 8); // gid
  octal(h, size, 124, 12);
  octal(h, FIXED_MTIME, 136, 12);
  h.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  h.write('0', 156, 1, 'ascii'); // regular file
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

function octal(h: Buffer, value: number, offset: number, length: number): void {
  h.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'ascii');
}

function splitPath(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  const cut = path.lastIndexOf('/', 155);
  const name = path.slice(cut + 1);
  const prefix = path.slice(0, cut);
  if (cut < 0 || Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155) {
    throw new Error(`tar path too long for ustar: ${path}`);
  }
  return { name, prefix };
}
