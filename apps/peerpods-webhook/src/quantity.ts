/**
 * Kubernetes resource quantities (`500m`, `4Gi`, `1e3`), exactly: a value is held as a BigInt count
 * of nano-units, as apimachinery's Quantity rounds anything finer up to 1n. No floating point, so
 * comparisons and ceilings at the boundaries come out as upstream's do.
 */
export type Quantity = bigint;

const NANO = 1_000_000_000n;

const BINARY: Readonly<Record<string, bigint>> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
const DECIMAL_EXPONENT: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

const FORMAT = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** Why a quantity string is refused, in Kubernetes' words. */
export class QuantityError extends Error {}

export function parseQuantity(text: string): Quantity {
  const match = FORMAT.exec(text.trim());
  if (!match)
    throw new QuantityError(
      `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': ${JSON.stringify(text)}`,
    );
  const [, sign, number, suffix = ''] = match as unknown as [string, string, string, string | undefined];
  const [whole = '0', fraction = ''] = number.split('.');
  // The digits as an integer, and how many of them are behind the point.
  let digits = BigInt(`${whole || '0'}${fraction}`);
  let exponent = -fraction.length;
  let multiplier = 1n;
  if (suffix in BINARY) multiplier = BINARY[suffix]!;
  else if (suffix in DECIMAL_EXPONENT) exponent += DECIMAL_EXPONENT[suffix]!;
  else exponent += Number(suffix.slice(1));
  digits *= multiplier;
  // To nano-units: value = digits × 10^exponent, nano = value × 10^9, rounded up (away from zero).
  const shift = exponent + 9;
  const nano = shift >= 0 ? digits * 10n ** BigInt(shift) : ceilDiv(digits, 10n ** BigInt(-shift));
  return sign === '-' ? -nano : nano;
}

/** `Quantity.Value()`: the whole units, rounded up (away from zero). */
export function ceilUnits(quantity: Quantity): bigint {
  return quantity >= 0n ? ceilDiv(quantity, NANO) : -ceilDiv(-quantity, NANO);
}

/**
 * Canonical decimal form, as `Quantity.String()` prints a DecimalSI quantity: the largest SI suffix
 * that keeps the number whole (`1500m`, `2`, `3k`).
 */
export function formatDecimal(quantity: Quantity): string {
  if (quantity === 0n) return '0';
  const negative = quantity < 0n;
  let value = negative ? -quantity : quantity;
  // From nano upwards: each step of 1000 that divides evenly moves to the next suffix.
  const suffixes = ['n', 'u', 'm', '', 'k', 'M', 'G', 'T', 'P', 'E'];
  let index = 0;
  while (index < suffixes.length - 1 && value % 1000n === 0n) {
    value /= 1000n;
    index += 1;
  }
  return `${negative ? '-' : ''}${value}${suffixes[index]}`;
}

export function ceilDiv(numerator: bigint, denominator: bigint): bigint {
  return (numerator + denominator - 1n) / denominator;
}

export const ONE = NANO;
