import type { PduDecodeError } from './dimse.errors';
import { PduReader, type PduReaderSink } from './pdu-reader';
import { encodeAbort, encodeAssociateRq, encodePDataTf, encodeReleaseRq } from './pdu-writer';
import { AbortReason, type ControlPdu } from './pdu.types';

type Event =
  | { kind: 'pdu'; pdu: ControlPdu }
  | { kind: 'pdv'; contextId: number; control: number; data: Buffer }
  | { kind: 'error'; error: PduDecodeError };

/** Collects reader output, joining the slices of each PDV. */
function collector(): { sink: PduReaderSink; events: Event[] } {
  const events: Event[] = [];
  let parts: Buffer[] = [];
  const sink: PduReaderSink = {
    onControlPdu: (pdu) => events.push({ kind: 'pdu', pdu }),
    onPdvData: (contextId, control, data, pdvEnd) => {
      parts.push(Buffer.from(data));
      if (pdvEnd) {
        events.push({ kind: 'pdv', contextId, control, data: Buffer.concat(parts) });
        parts = [];
      }
    },
    onPduError: (error) => events.push({ kind: 'error', error }),
  };
  return { sink, events };
}

const limits = { maxPDataLength: 64 * 1024, maxControlPduLength: 64 * 1024 };

const stream = Buffer.concat([
  encodeAssociateRq({
    protocolVersion: 1,
    calledAeTitle: 'PACS',
    callingAeTitle: 'SCU',
    applicationContext: '1.2.840.10008.3.1.1.1',
    presentationContexts: [{ id: 1, abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] }],
    userInformation: { maxLength: 0, implementationClassUid: '1.2.3', roleSelections: [], extendedNegotiations: [] },
  }),
  encodePDataTf([
    { contextId: 1, control: 3, data: Buffer.from('command!') },
    { contextId: 1, control: 0, data: Buffer.alloc(100, 7) },
  ]),
  encodePDataTf([{ contextId: 3, control: 2, data: Buffer.alloc(0) }]),
  encodeReleaseRq(),
  encodeAbort({ source: 0, reason: 0 }),
]);

function readAll(chunks: Buffer[]): Event[] {
  const { sink, events } = collector();
  const reader = new PduReader(sink, { ...limits });
  for (const chunk of chunks) reader.push(chunk);
  return events;
}

function splitEvery(buffer: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += size) out.push(buffer.subarray(i, i + size));
  return out;
}

describe('PduReader', () => {
  const expected = readAll([stream]);

  it('reads many PDUs from one chunk', () => {
    expect(expected.map((e) => (e.kind === 'pdu' ? e.pdu.type : e.kind))).toEqual([1, 'pdv', 'pdv', 'pdv', 5, 7]);
    const pdvs = expected.filter((e) => e.kind === 'pdv');
    expect(pdvs.map((e) => [e.contextId, e.control, e.data.length])).toEqual([
      [1, 3, 8],
      [1, 0, 100],
      [3, 2, 0],
    ]);
  });

  it('gives the same result whatever the chunking: one byte at a time, or split at every offset', () => {
    expect(readAll(splitEvery(stream, 1))).toEqual(expected);
    for (let at = 1; at < stream.length; at++) {
      expect(readAll([stream.subarray(0, at), stream.subarray(at)])).toEqual(expected);
    }
    for (const size of [2, 3, 5, 7, 64, 99]) expect(readAll(splitEvery(stream, size))).toEqual(expected);
  });

  it('hands PDV data as views of the socket chunk, not copies', () => {
    const pdu = encodePDataTf([{ contextId: 1, control: 2, data: Buffer.alloc(4096, 1) }]);
    const seen: Buffer[] = [];
    const reader = new PduReader(
      { onControlPdu: () => undefined, onPdvData: (_c, _m, data) => seen.push(data), onPduError: () => undefined },
      { ...limits },
    );
    reader.push(pdu);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.buffer).toBe(pdu.buffer);
  });

  it('rejects a P-DATA-TF over the maximum length before reading its body', () => {
    const { sink, events } = collector();
    const reader = new PduReader(sink, { maxPDataLength: 100, maxControlPduLength: 100 });
    reader.push(encodePDataTf([{ contextId: 1, control: 2, data: Buffer.alloc(95) }]));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'error', error: { reason: AbortReason.InvalidPduParameterValue } });
    // Only the header was needed to decide.
    const second = collector();
    new PduReader(second.sink, { maxPDataLength: 100, maxControlPduLength: 100 }).push(Buffer.from([4, 0, 0, 1, 0, 0]));
    expect(second.events[0]).toMatchObject({ kind: 'error' });
  });

  it('accepts a P-DATA-TF of exactly the maximum length', () => {
    const { sink, events } = collector();
    new PduReader(sink, { maxPDataLength: 100, maxControlPduLength: 100 }).push(
      encodePDataTf([{ contextId: 1, control: 2, data: Buffer.alloc(94) }]),
    );
    expect(events).toMatchObject([{ kind: 'pdv' }]);
  });

  it('rejects an oversized control PDU', () => {
    const { sink, events } = collector();
    new PduReader(sink, { maxPDataLength: 100, maxControlPduLength: 100 }).push(Buffer.from([1, 0, 0, 0, 1, 0]));
    expect(events).toMatchObject([{ kind: 'error', error: { reason: AbortReason.InvalidPduParameterValue } }]);
  });

  it.each([
    ['unknown PDU type', Buffer.from([0x09, 0, 0, 0, 0, 4, 0, 0, 0, 0]), AbortReason.UnrecognizedPdu],
    ['release PDU of length 5', Buffer.from([5, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0]), AbortReason.InvalidPduParameterValue],
    [
      'P-DATA-TF too short for a PDV',
      Buffer.from([4, 0, 0, 0, 0, 4, 0, 0, 0, 0]),
      AbortReason.InvalidPduParameterValue,
    ],
    ['PDV length below 2', Buffer.from([4, 0, 0, 0, 0, 6, 0, 0, 0, 1, 1, 2]), AbortReason.InvalidPduParameterValue],
    [
      'PDV overrunning its PDU',
      Buffer.from([4, 0, 0, 0, 0, 6, 0, 0, 0, 9, 1, 2]),
      AbortReason.InvalidPduParameterValue,
    ],
    [
      'bytes left after a PDV too few for another',
      Buffer.from([4, 0, 0, 0, 0, 9, 0, 0, 0, 3, 1, 2, 0xaa, 0, 0]),
      AbortReason.InvalidPduParameterValue,
    ],
    ['malformed A-ASSOCIATE-RQ', Buffer.from([1, 0, 0, 0, 0, 4, 0, 1, 0, 0]), AbortReason.InvalidPduParameterValue],
  ])('reports %s once and ignores what follows', (_name, bytes, reason) => {
    const { sink, events } = collector();
    const reader = new PduReader(sink, { ...limits });
    reader.push(Buffer.concat([bytes, encodeReleaseRq()]));
    reader.push(encodeReleaseRq());
    const errors = events.filter((e) => e.kind === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ error: { reason } });
    expect(events[events.length - 1]!.kind).toBe('error');
  });

  it('turns an exception thrown by the sink into one error instead of throwing', () => {
    const errors: PduDecodeError[] = [];
    const reader = new PduReader(
      {
        onControlPdu: () => {
          throw new Error('boom');
        },
        onPdvData: () => undefined,
        onPduError: (error) => errors.push(error),
      },
      { ...limits },
    );
    expect(() => reader.push(encodeReleaseRq())).not.toThrow();
    expect(errors).toHaveLength(1);
  });

  it('stops when told to, even mid-chunk', () => {
    const events: string[] = [];
    const reader: PduReader = new PduReader(
      {
        onControlPdu: (pdu) => {
          events.push(`pdu ${pdu.type}`);
          reader.stop();
        },
        onPdvData: () => events.push('pdv'),
        onPduError: () => events.push('error'),
      },
      { ...limits },
    );
    reader.push(stream);
    expect(events).toEqual(['pdu 1']);
  });
});

describe('PduReader fuzzing', () => {
  // Deterministic PRNG so a failure can be replayed.
  function prng(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (s * 1664525 + 1013904223) >>> 0;
      return s / 0x100000000;
    };
  }

  function mutate(random: () => number, input: Buffer): Buffer {
    const out = Buffer.from(input);
    const kind = Math.floor(random() * 4);
    const flips = 1 + Math.floor(random() * 8);
    if (kind === 0) for (let i = 0; i < flips; i++) out[Math.floor(random() * out.length)] = Math.floor(random() * 256);
    if (kind === 1) return out.subarray(0, Math.floor(random() * out.length));
    if (kind === 2) {
      // Corrupt a length field: PDU, item or PDV lengths are where parsers go wrong.
      const at = Math.floor(random() * (out.length - 4));
      out.writeUInt32BE(Math.floor(random() * 0x100000000), at);
    }
    if (kind === 3)
      return Buffer.concat([out, Buffer.from(Array.from({ length: flips * 7 }, () => Math.floor(random() * 256)))]);
    return out;
  }

  it('never throws on 5000 random or mutated PDU streams, in random chunks', () => {
    const random = prng(20240601);
    let errors = 0;
    for (let i = 0; i < 5000; i++) {
      const input =
        i % 5 === 0
          ? Buffer.from(Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256)))
          : mutate(random, stream);
      const { sink, events } = collector();
      const reader = new PduReader(sink, { maxPDataLength: 4096, maxControlPduLength: 4096 });
      let offset = 0;
      expect(() => {
        while (offset < input.length) {
          const size = 1 + Math.floor(random() * 200);
          reader.push(input.subarray(offset, offset + size));
          offset += size;
        }
      }).not.toThrow();
      const errorCount = events.filter((e) => e.kind === 'error').length;
      expect(errorCount).toBeLessThanOrEqual(1);
      errors += errorCount;
    }
    // The mutations are mostly caught as protocol errors rather than silently accepted.
    expect(errors).toBeGreaterThan(1000);
  });
});
