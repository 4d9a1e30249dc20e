// FreeSWITCH's mod_xml_curl document formats (freeswitch/xml documents with a section per binding).
export const escapeXml = (s: string): string =>
  s.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string,
  );

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
