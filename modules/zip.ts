import { zipSync as fflateZipSync, type Zippable } from "fflate";

/** One file of a zip archive. */
export interface ZipEntry {
  /** Path inside the archive, `/`-separated. */
  readonly name: string;
  readonly contents: Uint8Array;
}

// A fixed time near the earliest a zip can hold: equal input gives byte-identical archives (and
// a stable source_code_hash); cdktf's ARCHIVE assets stamp file times. Built from local fields
// because zip (DOS) times are local: the bytes are the same in every TZ.
const FIXED_MTIME = new Date(1980, 0, 1, 12, 0, 0);
// Unix -rw-r--r-- in the external attributes, so Lambda's unzip keeps files readable.
const UNIX_FILE_ATTRIBUTES = (0o100644 << 16) >>> 0;

/** A deterministic zip (deflate level 9, fixed timestamps, entries in the given order). */
export function zipSync(entries: readonly ZipEntry[]): Buffer {
  const files: Zippable = {};
  for (const entry of entries) {
    if (!entry.name || entry.name.startsWith("/") || entry.name.includes("\\") || entry.name.split("/").includes("..")) {
      throw new Error(`zipSync: entry names must be relative '/'-separated paths without '..', got '${entry.name}'`);
    }
    files[entry.name] = [entry.contents, { level: 9, mtime: FIXED_MTIME, os: 3, attrs: UNIX_FILE_ATTRIBUTES }];
  }
  return Buffer.from(fflateZipSync(files));
}
