import type { Tag } from '@pacs/dicom';
import type { QueryKey } from './parse-qido-query';

/**
 * How the value of one Key Attribute in a query selects records: the kinds of matching of PS3.4
 * C.2.2.2, which QIDO-RS uses too (PS3.18 8.3.4.1: "the matching semantics for each attribute
 * are determined by the types of matching allowed by C-FIND").
 */
export type AttributeMatch =
  /** C.2.2.2.3 Universal Matching: a zero-length value (or `*` alone) matches every record. */
  | { readonly kind: 'universal' }
  /** Empty Value Matching: the value `""` matches records where the attribute is absent or empty. */
  | { readonly kind: 'empty' }
  /** C.2.2.2.1 Single Value Matching: the value, exactly (PN: see matchAttribute). */
  | { readonly kind: 'single'; readonly value: string }
  /** C.2.2.2.2 List of UID Matching, and a list of values of a multi-valued key: any of them. */
  | { readonly kind: 'any-of'; readonly values: readonly string[] }
  /** C.2.2.2.4 Wild Card Matching: `*` any run of characters (none included), `?` one character. */
  | { readonly kind: 'wildcard'; readonly pattern: string }
  /**
   * C.2.2.2.5 Range Matching of DA, TM and DT values, bounds included; an absent bound is open.
   * A single DA, TM or DT value is also a range, from its earliest to its latest instant at its
   * precision (`10` is 10:00 to 10:59:59.999999).
   */
  | { readonly kind: 'range'; readonly vr: 'DA' | 'TM' | 'DT'; readonly from?: string; readonly to?: string }
  /**
   * C.2.2.2.6 Sequence Matching: the Item Key Attributes of the key's one Item; a record matches
   * when one item of its sequence matches every one of them. No item key, or universal ones only,
   * is universal matching (the sequence is a return key).
   */
  | { readonly kind: 'sequence'; readonly items: readonly QueryKey[] }
  /**
   * C.2.2.2.5 combined datetime matching, on a DA key whose TM partner (StudyDate and StudyTime)
   * gave a range of the same form: the date and time of a record, as one DT (`time` is the
   * partner's tag), meet the range of the concatenated bounds (`from`, `to`: DT values). Made by
   * combineDateTimeKeys; it reads two attributes, so only matchKey evaluates it.
   */
  | { readonly kind: 'date-time'; readonly time: Tag; readonly from?: string; readonly to?: string };
