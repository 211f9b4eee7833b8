import {
  CommandField,
  commandFieldName,
  decodeCommand,
  type DimseCommand,
  encodeCommand,
  hasDataSet,
  isResponse,
  NO_DATA_SET,
} from './command-set';
import { DimseError } from './dimse.errors';

describe('command set codec', () => {
  it('encodes C-ECHO-RQ exactly as the standard lays it out (implicit VR LE, PS3.7 6.3.1)', () => {
    const bytes = encodeCommand({
      commandField: CommandField.CEchoRq,
      messageId: 1,
      affectedSopClassUid: '1.2.840.10008.1.1',
      commandDataSetType: NO_DATA_SET,
    });
    const expected = Buffer.concat([
      Buffer.from([0, 0, 0, 0, 4, 0, 0, 0, 56, 0, 0, 0]), // (0000,0000) UL 56
      Buffer.from([0, 0, 2, 0, 18, 0, 0, 0]),
      Buffer.from('1.2.840.10008.1.1\0', 'latin1'), // odd UID padded with NUL
      Buffer.from([0, 0, 0, 1, 2, 0, 0, 0, 0x30, 0]), // CommandField
      Buffer.from([0, 0, 0x10, 1, 2, 0, 0, 0, 1, 0]), // MessageID
      Buffer.from([0, 0, 0, 8, 2, 0, 0, 0, 1, 1]), // CommandDataSetType 0101
    ]);
    expect(bytes).toEqual(expected);
  });

  it('round-trips every known element', () => {
    const command: DimseCommand = {
      commandField: CommandField.CMoveRsp,
      messageId: 7,
      messageIdBeingRespondedTo: 6,
      affectedSopClassUid: '1.2.840.10008.5.1.4.1.2.2.2',
      requestedSopClassUid: '1.2.3',
      affectedSopInstanceUid: '1.2.3.4.5',
      requestedSopInstanceUid: '1.2.3.4.6',
      priority: 2,
      commandDataSetType: 0x0001,
      status: 0xb000,
      offendingElement: [0x00100010, 0x7fe00010],
      errorComment: 'some sub-operations failed',
      errorId: 3,
      moveDestination: 'DEST_AE',
      moveOriginatorApplicationEntityTitle: 'ORIGIN',
      moveOriginatorMessageId: 99,
      numberOfRemainingSuboperations: 0,
      numberOfCompletedSuboperations: 10,
      numberOfFailedSuboperations: 2,
      numberOfWarningSuboperations: 1,
      eventTypeId: 1,
      actionTypeId: 2,
      attributeIdentifierList: [0x00080018],
    };
    const bytes = encodeCommand(command);
    expect(bytes.readUInt32LE(8)).toBe(bytes.length - 12);
    expect(decodeCommand(bytes)).toEqual(command);
  });

  it('truncates the error comment to 64 characters (LO) and keeps every value of even length', () => {
    const bytes = encodeCommand({
      commandField: 0x8001,
      commandDataSetType: NO_DATA_SET,
      errorComment: 'x'.repeat(99),
    });
    expect(decodeCommand(bytes).errorComment).toBe('x'.repeat(64));
    let offset = 0;
    while (offset < bytes.length) {
      const length = bytes.readUInt32LE(offset + 4);
      expect(length % 2).toBe(0);
      offset += 8 + length;
    }
  });

  it('skips unknown elements and elements of other groups', () => {
    const base = encodeCommand({ commandField: CommandField.CEchoRsp, status: 0, commandDataSetType: NO_DATA_SET });
    const extra = Buffer.from([0, 0, 0x99, 0x99, 2, 0, 0, 0, 1, 2, 0x08, 0, 0x18, 0, 2, 0, 0, 0, 0x31, 0]);
    expect(decodeCommand(Buffer.concat([base, extra]))).toEqual({
      commandField: CommandField.CEchoRsp,
      status: 0,
      commandDataSetType: NO_DATA_SET,
    });
  });

  it('rejects truncated or inconsistent command sets with PROTOCOL_ERROR', () => {
    const good = encodeCommand({ commandField: CommandField.CEchoRq, messageId: 1, commandDataSetType: NO_DATA_SET });
    for (const bad of [
      good.subarray(0, good.length - 1),
      good.subarray(0, 5),
      Buffer.from([0, 0, 0, 1, 3, 0, 0, 0, 1, 2, 3]), // US of 3 bytes
      encodeCommand({ commandField: 0, commandDataSetType: NO_DATA_SET }).subarray(0, 12), // no command field
    ]) {
      expect(() => decodeCommand(bad)).toThrow(DimseError);
      try {
        decodeCommand(bad);
      } catch (error) {
        expect((error as DimseError).code).toBe('PROTOCOL_ERROR');
      }
    }
  });

  it('defaults Command Data Set Type to "no data set" when absent', () => {
    const bytes = Buffer.from([0, 0, 0, 1, 2, 0, 0, 0, 0x30, 0]);
    expect(hasDataSet(decodeCommand(bytes))).toBe(false);
  });

  it('names command fields and tells responses from requests', () => {
    expect(commandFieldName(CommandField.CStoreRq)).toBe('C-STORE-RQ');
    expect(commandFieldName(CommandField.NEventReportRsp)).toBe('N-EVENT-REPORT-RSP');
    expect(commandFieldName(CommandField.CCancelRq)).toBe('C-CANCEL-RQ');
    expect(commandFieldName(0x1234)).toBe('0x1234');
    expect(isResponse(CommandField.CFindRsp)).toBe(true);
    expect(isResponse(CommandField.CFindRq)).toBe(false);
  });
});
