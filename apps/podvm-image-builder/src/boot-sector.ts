/**
 * The first megabyte of a BIOS-bootable disk: GRUB's boot.img as the MBR's code, an MBR partition
 * table with one bootable Linux partition, and GRUB's core.img in the gap before that partition.
 * Written directly into the disk file, so the build needs no loop device and no partitioning tool.
 */

export const SECTOR = 512;
/** Where the root partition starts: 1 MiB, the usual alignment, leaving room for core.img. */
export const PARTITION_OFFSET = 1024 * 1024;
const BOOT_CODE_BYTES = 440;
const PARTITION_TABLE_OFFSET = 446;
const LINUX_PARTITION_TYPE = 0x83;
const BOOTABLE = 0x80;

/**
 * The bytes of sectors 0 .. PARTITION_OFFSET/512-1. boot.img loads core.img from sector 1 (its
 * default kernel sector), and core.img's own first sector reads the rest of it from sector 2 on.
 */
export function bootArea(options: {
  bootImg: Buffer;
  coreImg: Buffer;
  diskBytes: number;
  diskSignature: number;
}): Buffer {
  const { bootImg, coreImg, diskBytes, diskSignature } = options;
  if (bootImg.length !== SECTOR)
    throw new Error(`GRUB boot.img must be ${SECTOR} bytes, not ${bootImg.length}`);
  if (coreImg.length > PARTITION_OFFSET - SECTOR) {
    throw new Error(
      `GRUB core.img is ${coreImg.length} bytes: more than the ${PARTITION_OFFSET - SECTOR} before the partition`,
    );
  }
  if (diskBytes % SECTOR !== 0 || diskBytes <= PARTITION_OFFSET) {
    throw new Error(
      `disk size ${diskBytes} must be a whole number of sectors larger than ${PARTITION_OFFSET}`,
    );
  }
  const sectors = diskBytes / SECTOR;
  if (sectors > 0xffffffff) throw new Error('disk over 2 TiB: an MBR partition table cannot describe it');

  const area = Buffer.alloc(PARTITION_OFFSET);
  bootImg.copy(area, 0, 0, BOOT_CODE_BYTES);
  area.writeUInt32LE(diskSignature >>> 0, 440);
  const entry = PARTITION_TABLE_OFFSET;
  area[entry] = BOOTABLE;
  // CHS fields: the "beyond 8 GiB" marker; every BIOS since the 1990s uses the LBA fields.
  area.set([0xfe, 0xff, 0xff], entry + 1);
  area[entry + 4] = LINUX_PARTITION_TYPE;
  area.set([0xfe, 0xff, 0xff], entry + 5);
  area.writeUInt32LE(PARTITION_OFFSET / SECTOR, entry + 8);
  area.writeUInt32LE(sectors - PARTITION_OFFSET / SECTOR, entry + 12);
  area[510] = 0x55;
  area[511] = 0xaa;
  coreImg.copy(area, SECTOR);
  return area;
}
