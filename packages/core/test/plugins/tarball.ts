import { gzipSync } from "node:zlib"

/** One raw tar entry for hostile-archive tests (the ustar fields a parser reads). */
export interface RawEntry {
  readonly path: string
  /** ustar type flag: "0" file, "1" hard link, "2" symlink, "3" char device, "5" folder, "6" FIFO. */
  readonly type?: string
  readonly content?: string | Buffer
  readonly linkpath?: string
  /** Overrides the size written in the header (to claim a huge entry). */
  readonly claimedSize?: number
}

const field = (header: Buffer, offset: number, length: number, value: string) => {
  header.write(value.slice(0, length), offset, length, "utf8")
}
const octal = (header: Buffer, offset: number, length: number, value: number) => {
  field(header, offset, length, `${value.toString(8).padStart(length - 1, "0")}\0`)
}

/**
 * Builds a tarball byte by byte, so tests can make archives no well-behaved tool would write
 * (`../` paths, absolute paths, links out, devices, lying sizes).
 */
export const rawTar = (entries: ReadonlyArray<RawEntry>, gzip = true): Buffer => {
  const blocks: Array<Buffer> = []
  for (const entry of entries) {
    const content = Buffer.from(entry.content ?? "")
    const header = Buffer.alloc(512)
    field(header, 0, 100, entry.path)
    octal(header, 100, 8, entry.type === "5" ? 0o755 : 0o644)
    octal(header, 108, 8, 0)
    octal(header, 116, 8, 0)
    octal(header, 124, 12, entry.claimedSize ?? content.length)
    octal(header, 136, 12, 1_700_000_000)
    field(header, 148, 8, "        ")
    field(header, 156, 1, entry.type ?? "0")
    field(header, 157, 100, entry.linkpath ?? "")
    field(header, 257, 6, "ustar\0")
    field(header, 263, 2, "00")
    let sum = 0
    for (const byte of header) sum += byte
    octal(header, 148, 7, sum)
    blocks.push(header)
    if (entry.claimedSize === undefined && content.length > 0) {
      blocks.push(content, Buffer.alloc((512 - (content.length % 512)) % 512))
    }
  }
  blocks.push(Buffer.alloc(1024))
  const tar = Buffer.concat(blocks)
  return gzip ? gzipSync(tar) : tar
}
