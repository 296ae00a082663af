import { both16, both32, recordDate, text, volumeDate } from './encoding';
import { checkName, jolietName, primaryNames } from './names';

export interface IsoFile {
  name: string;
  content: string | Uint8Array;
}

export interface IsoOptions {
  /** The volume identifier (what `blkid` reports as LABEL): `cidata` for a NoCloud seed. */
  volumeId: string;
  /** Recorded on the volume and every file; fixed, the image is byte-for-byte reproducible. Default now. */
  date?: Date;
}

const SECTOR = 2048;
const SYSTEM_AREA_SECTORS = 16;

interface Entry {
  primary: Buffer;
  joliet: Buffer;
  data: Buffer;
  lba: number;
}

function directoryRecord(name: Buffer, lba: number, size: number, directory: boolean, date: Date): Buffer {
  const padded = name.length % 2 === 0 ? 1 : 0;
  const record = Buffer.alloc(33 + name.length + padded);
  record[0] = record.length;
  both32(record, 2, lba);
  both32(record, 10, size);
  recordDate(record, 18, date);
  record[25] = directory ? 0x02 : 0x00;
  both16(record, 28, 1);
  record[32] = name.length;
  name.copy(record, 33);
  return record;
}

function pathTable(rootLba: number, bigEndian: boolean): Buffer {
  const table = Buffer.alloc(10);
  table[0] = 1; // identifier length: the root's is one 0x00 byte
  if (bigEndian) {
    table.writeUInt32BE(rootLba, 2);
    table.writeUInt16BE(1, 6);
  } else {
    table.writeUInt32LE(rootLba, 2);
    table.writeUInt16LE(1, 6);
  }
  return table;
}

/**
 * An ISO 9660 image of files in its root directory, with a Joliet supplementary volume (so Linux
 * and cloud-init see the names as given, lower case and hyphens included) beside the level-1
 * primary one. Enough for a cloud-init NoCloud seed; no subdirectories, no Rock Ridge.
 */
export function buildIso(files: readonly IsoFile[], options: IsoOptions): Buffer {
  const date = options.date ?? new Date();
  if (!/^[\x20-\x7e]{1,16}$/.test(options.volumeId)) {
    throw new Error(
      `ISO 9660 volume id ${JSON.stringify(options.volumeId)}: 1 to 16 printable ASCII characters`,
    );
  }
  const names = files.map((file) => file.name);
  for (const name of names) checkName(name);
  if (new Set(names).size !== names.length) throw new Error('ISO 9660: two files have the same name');
  const primaries = primaryNames(names);

  // Fixed layout: the system area, descriptors 16-18, path tables 19-22, root directories 23-24,
  // then the files.
  const lPrimary = SYSTEM_AREA_SECTORS + 3;
  const mPrimary = 20;
  const lJoliet = 21;
  const mJoliet = 22;
  const rootPrimary = 23;
  const rootJoliet = 24;
  let next = 25;
  const entries: Entry[] = files.map((file, index) => {
    const data =
      typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : Buffer.from(file.content);
    const entry = {
      primary: Buffer.from(primaries[index]!, 'latin1'),
      joliet: jolietName(file.name),
      data,
      lba: next,
    };
    next += Math.ceil(data.length / SECTOR);
    return entry;
  });
  const totalSectors = next;

  const directory = (joliet: boolean, selfLba: number): Buffer => {
    const records = [
      directoryRecord(Buffer.from([0]), selfLba, SECTOR, true, date),
      directoryRecord(Buffer.from([1]), selfLba, SECTOR, true, date),
      // ECMA-119 9.3: records in order of their identifiers (for Joliet, of the UCS-2 code units).
      ...[...entries]
        .sort((a, b) => Buffer.compare(joliet ? a.joliet : a.primary, joliet ? b.joliet : b.primary))
        .map((entry) =>
          directoryRecord(joliet ? entry.joliet : entry.primary, entry.lba, entry.data.length, false, date),
        ),
    ];
    const body = Buffer.concat(records);
    if (body.length > SECTOR)
      throw new Error(`ISO 9660: ${files.length} files do not fit one directory sector`);
    return body;
  };

  const descriptor = (joliet: boolean): Buffer => {
    const block = Buffer.alloc(SECTOR);
    block[0] = joliet ? 2 : 1;
    block.write('CD001', 1, 'latin1');
    block[6] = 1;
    text(block, 8, 32, 'LINUX', joliet);
    text(block, 40, 32, options.volumeId, joliet);
    both32(block, 80, totalSectors);
    // UCS-2 level 3.
    if (joliet) block.write('%/E', 88, 'latin1');
    both16(block, 120, 1);
    both16(block, 124, 1);
    both16(block, 128, SECTOR);
    both32(block, 132, 10);
    block.writeUInt32LE(joliet ? lJoliet : lPrimary, 140);
    block.writeUInt32BE(joliet ? mJoliet : mPrimary, 148);
    directoryRecord(Buffer.from([0]), joliet ? rootJoliet : rootPrimary, SECTOR, true, date).copy(block, 156);
    for (const [offset, width] of [
      [190, 128],
      [318, 128],
      [446, 128],
      [574, 128],
      [702, 37],
      [739, 37],
      [776, 37],
    ] as const) {
      text(block, offset, width, '', joliet);
    }
    text(block, 574, 128, 'PEERPODS', joliet);
    volumeDate(block, 813, date);
    volumeDate(block, 830, date);
    volumeDate(block, 847, undefined);
    volumeDate(block, 864, undefined);
    block[881] = 1;
    return block;
  };

  const image = Buffer.alloc(totalSectors * SECTOR);
  descriptor(false).copy(image, SYSTEM_AREA_SECTORS * SECTOR);
  descriptor(true).copy(image, (SYSTEM_AREA_SECTORS + 1) * SECTOR);
  const terminator = Buffer.alloc(SECTOR);
  terminator[0] = 255;
  terminator.write('CD001', 1, 'latin1');
  terminator[6] = 1;
  terminator.copy(image, (SYSTEM_AREA_SECTORS + 2) * SECTOR);
  pathTable(rootPrimary, false).copy(image, lPrimary * SECTOR);
  pathTable(rootPrimary, true).copy(image, mPrimary * SECTOR);
  pathTable(rootJoliet, false).copy(image, lJoliet * SECTOR);
  pathTable(rootJoliet, true).copy(image, mJoliet * SECTOR);
  directory(false, rootPrimary).copy(image, rootPrimary * SECTOR);
  directory(true, rootJoliet).copy(image, rootJoliet * SECTOR);
  for (const entry of entries) entry.data.copy(image, entry.lba * SECTOR);
  return image;
}
