// XML 1.0 (Fifth Edition) escaping for the audit messages.

/**
 * Characters outside `Char` (XML 1.0 section 2.2): C0 controls other than tab, LF and CR, lone
 * surrogates, U+FFFE and U+FFFF. No escape can carry them (a character reference to them is not
 * well-formed either), so they are removed.
 */
const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Removes the characters XML 1.0 does not allow. */
export function stripNonXmlChars(value: string): string {
  return value.replace(NOT_XML_CHAR, '');
}

/**
 * Escapes a value for an attribute (delimited by `"`) or for character data. Tab, LF and CR are
 * written as character references: in an attribute they would otherwise be normalized to spaces
 * (XML 1.0 section 3.3.3), and in text it keeps a message on one line, which is what a syslog
 * collector writing one message per line expects. `>` is escaped too so that `]]>` never appears
 * (section 2.4).
 */
export function escapeXml(value: string): string {
  return stripNonXmlChars(value).replace(/[&<>"\t\n\r]/g, (c) => ESCAPES[c] ?? c);
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};
