import { GgmlType, GgufValueType, encodeGguf, fromFloat16Bits, toFloat16Bits } from './gguf-writer';

describe('float16 conversion', () => {
  it('rounds to the nearest binary16 value, ties to even', () => {
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(65504)).toBe(0x7bff);
    expect(toFloat16Bits(1e6)).toBe(0x7c00);
    expect(toFloat16Bits(5.960464477539063e-8)).toBe(0x0001);
    expect(toFloat16Bits(1 + 1 / 2048)).toBe(0x3c00);
    expect(toFloat16Bits(1 + 3 / 2048)).toBe(0x3c02);
    for (const x of [0.1, -0.333, 3.14159, 1234.5]) expect(Math.abs(fromFloat16Bits(toFloat16Bits(x)) - x)).toBeLessThanOrEqual(Math.abs(x) / 2048);
    // Below 2^-14 binary16 is subnormal: a fixed step of 2^-24.
    expect(Math.abs(fromFloat16Bits(toFloat16Bits(1e-5)) - 1e-5)).toBeLessThanOrEqual(Math.pow(2, -25));
  });
});

describe('encodeGguf', () => {
  it('writes a v3 header, metadata, reversed dims and aligned tensor data', () => {
    const file = encodeGguf(new Map([['general.architecture', { type: GgufValueType.STRING, value: 'llama' }]]), [
      { name: 'a', shape: [2, 3], type: GgmlType.F32, data: Float32Array.of(1, 2, 3, 4, 5, 6) },
      { name: 'b', shape: [3], type: GgmlType.F16, data: Float32Array.of(1, -2, 0.5) },
    ]);
    expect(file.subarray(0, 4).toString('ascii')).toBe('GGUF');
    expect(file.readUInt32LE(4)).toBe(3);
    expect(file.readBigUInt64LE(8)).toBe(2n);
    expect(file.readBigUInt64LE(16)).toBe(1n);
    let at = 24;
    const str = () => {
      const n = Number(file.readBigUInt64LE(at));
      const s = file.subarray(at + 8, at + 8 + n).toString('utf8');
      at += 8 + n;
      return s;
    };
    expect(str()).toBe('general.architecture');
    expect(file.readUInt32LE(at)).toBe(GgufValueType.STRING);
    at += 4;
    expect(str()).toBe('llama');
    expect(str()).toBe('a');
    expect(file.readUInt32LE(at)).toBe(2);
    expect([file.readBigUInt64LE(at + 4), file.readBigUInt64LE(at + 12)]).toEqual([3n, 2n]);
    expect(file.readUInt32LE(at + 20)).toBe(GgmlType.F32);
    expect(file.readBigUInt64LE(at + 24)).toBe(0n);
    at += 32;
    expect(str()).toBe('b');
    at += 4 + 8 + 4;
    expect(file.readBigUInt64LE(at)).toBe(32n);
    const dataStart = Math.ceil((at + 8) / 32) * 32;
    expect(Array.from(new Float32Array(file.buffer.slice(file.byteOffset + dataStart, file.byteOffset + dataStart + 24)))).toEqual([1, 2, 3, 4, 5, 6]);
    expect([0, 1, 2].map((i) => fromFloat16Bits(file.readUInt16LE(dataStart + 32 + 2 * i)))).toEqual([1, -2, 0.5]);
    expect(file.length).toBe(dataStart + 64);
  });
});
