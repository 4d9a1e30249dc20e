// FreeSWITCH's mod_xml_curl document formats (freeswitch/xml documents with a section per binding).
export const escapeXml = (s: string): string =>
  s.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string,
  );

/**
 * A value that must reach FreeSWITCH exactly as written (a carrier's password...), never as configuration: XML
 * escaping, plus `$` as a character reference so that FreeSWITCH's pre-processor, which expands `$${name}` in the
 * raw text before parsing, never sees one. Characters XML 1.0 cannot carry even as references are dropped (input
 * validation refuses them; this guards rows stored before it did).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NOT_IN_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;
export const escapeLiteral = (s: string): string =>
  escapeXml(s.replace(NOT_IN_XML, ''))
    .replace(/\$/g, '&#36;')
    .replace(/[\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A <param> whose value is data from the API (escapeLiteral), not configuration. */
export const literalParam = (name: string, value: string, indent = '        '): string =>
  `${indent}<param name="${escapeXml(name)}" value="${escapeLiteral(value)}"/>`;

/** What FreeSWITCH expects when we have no answer: it then falls back to its own files or refuses the lookup. */
export const NOT_FOUND_XML = `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<document type="freeswitch/xml">
  <section name="result">
    <result status="not found"/>
  </section>
</document>
`;

export const documentXml = (section: string, inner: string): string =>
  `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<document type="freeswitch/xml">
  <section name="${escapeXml(section)}">
${inner}
  </section>
</document>
`;

export const param = (name: string, value: string | number | boolean, indent = '        '): string =>
  `${indent}<param name="${escapeXml(name)}" value="${escapeXml(String(value))}"/>`;
