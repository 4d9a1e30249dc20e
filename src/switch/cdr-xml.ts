// The XML subset mod_xml_cdr writes (elements, attributes, text, entities, CDATA, comments, the prolog), read by a
// single forward scan: every character is looked at a bounded number of times, so a hostile body costs time in
// proportion to its length (issue #12: the regex-based reader it replaces backtracked quadratically on an
// attribute-heavy tag). Depth, element count and attributes per element are bounded; DTDs are refused, so no
// entity is ever defined, let alone expanded.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

interface XmlLimits {
  maxDepth: number;
  maxElements: number;
  maxAttributes: number;
}

/** A real CDR is 5 levels deep with a few hundred elements (one per channel variable) of a handful of attributes. */
const CDR_XML_LIMITS: XmlLimits = { maxDepth: 32, maxElements: 10_000, maxAttributes: 64 };

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
/** `&#x10FFFF;` is the longest reference we decode; anything longer is kept as written. */
const LONGEST_REFERENCE = 10;

export function decodeEntities(s: string): string {
  let amp = s.indexOf('&');
  if (amp < 0) return s;
  let out = '';
  let from = 0;
  // The next ';' is found once and reused until passed, so a flood of '&' without ';' stays linear.
  let semi = s.indexOf(';', amp);
  while (amp >= 0 && semi >= 0) {
    if (semi < amp) semi = s.indexOf(';', amp);
    if (semi < 0) break;
    const ref = semi - amp <= LONGEST_REFERENCE ? s.slice(amp + 1, semi) : null;
    const decoded = ref === null ? undefined : decodeReference(ref);
    if (decoded !== undefined) {
      out += s.slice(from, amp) + decoded;
      from = semi + 1;
    }
    amp = s.indexOf('&', decoded !== undefined ? from : amp + 1);
  }
  return out + s.slice(from);
}

function decodeReference(ref: string): string | undefined {
  if (/^#x[0-9a-fA-F]+$/.test(ref) || /^#[0-9]+$/.test(ref)) {
    const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
  }
  return Object.hasOwn(ENTITIES, ref) ? ENTITIES[ref] : undefined;
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
/** Characters that end a name: whitespace, `=`, `/`, `>`, `<`, quotes. */
const endsName = (c: number): boolean =>
  isSpace(c) || c === 0x3d || c === 0x2f || c === 0x3e || c === 0x3c || c === 0x22 || c === 0x27;

class Scanner {
  i = 0;
  constructor(readonly xml: string) {}
  skipSpace(): void {
    while (this.i < this.xml.length && isSpace(this.xml.charCodeAt(this.i))) this.i++;
  }
  name(): string {
    const start = this.i;
    while (this.i < this.xml.length && !endsName(this.xml.charCodeAt(this.i))) this.i++;
    return this.xml.slice(start, this.i);
  }
  at(c: string): boolean {
    return this.xml.startsWith(c, this.i);
  }
}

type TagResult = { el: XmlElement; selfClosing: boolean } | { error: string };

/** Reads `<name attr="v" ...>` or `.../>` with the scanner just past `<`. */
function openTag(s: Scanner, limits: XmlLimits): TagResult {
  const name = s.name();
  if (!name) return { error: 'tag without a name' };
  const el: XmlElement = { name, attrs: {}, children: [], text: '' };
  let count = 0;
  for (;;) {
    s.skipSpace();
    if (s.i >= s.xml.length) return { error: 'unterminated tag' };
    if (s.at('>')) {
      s.i++;
      return { el, selfClosing: false };
    }
    if (s.at('/>')) {
      s.i += 2;
      return { el, selfClosing: true };
    }
    const attr = s.name();
    if (!attr) return { error: `malformed attribute in <${name}>` };
    s.skipSpace();
    if (!s.at('=')) return { error: `attribute ${attr.slice(0, 40)} of <${name}> has no value` };
    s.i++;
    s.skipSpace();
    const quote = s.xml[s.i];
    if (quote !== '"' && quote !== "'") return { error: `attribute ${attr.slice(0, 40)} is not quoted` };
    const end = s.xml.indexOf(quote, s.i + 1);
    if (end < 0) return { error: 'unterminated tag' };
    if (++count > limits.maxAttributes)
      return { error: `<${name}> has more than ${limits.maxAttributes} attributes` };
    // An own property named __proto__ would replace the object's prototype instead of holding a value.
    if (attr !== '__proto__') el.attrs[attr] = decodeEntities(s.xml.slice(s.i + 1, end));
    s.i = end + 1;
  }
}

/** Parses one XML document into its root element, in time linear in its length. */
export function parseXml(xml: string, limits: XmlLimits = CDR_XML_LIMITS): Parsed<XmlElement> {
  const s = new Scanner(xml);
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let elements = 0;
  const addText = (t: string) => {
    const top = stack[stack.length - 1];
    if (top && t) top.text += t;
  };
  while (s.i < xml.length) {
    const lt = xml.indexOf('<', s.i);
    if (lt < 0) {
      addText(decodeEntities(xml.slice(s.i)));
      break;
    }
    if (lt > s.i) addText(decodeEntities(xml.slice(s.i, lt)));
    s.i = lt;
    if (s.at('<![CDATA[')) {
      const end = xml.indexOf(']]>', lt + 9);
      if (end < 0) return { ok: false, error: 'unterminated CDATA section' };
      addText(xml.slice(lt + 9, end));
      s.i = end + 3;
      continue;
    }
    if (s.at('<!--') || s.at('<?')) {
      const close = s.at('<!--') ? '-->' : '?>';
      const end = xml.indexOf(close, lt + 2);
      if (end < 0) return { ok: false, error: 'unterminated comment or declaration' };
      s.i = end + close.length;
      continue;
    }
    if (s.at('<!')) return { ok: false, error: 'DTDs and declarations are not accepted' };
    if (s.at('</')) {
      const gt = xml.indexOf('>', lt);
      if (gt < 0) return { ok: false, error: 'unterminated tag' };
      const name = xml.slice(lt + 2, gt).trim();
      const open = stack.pop();
      if (!open || open.name !== name) return { ok: false, error: `unexpected </${name.slice(0, 40)}>` };
      s.i = gt + 1;
      continue;
    }
    s.i = lt + 1;
    const tag = openTag(s, limits);
    if ('error' in tag) return { ok: false, error: tag.error };
    if (++elements > limits.maxElements)
      return { ok: false, error: `more than ${limits.maxElements} elements` };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(tag.el);
    else if (root) return { ok: false, error: 'more than one root element' };
    else root = tag.el;
    if (!tag.selfClosing) {
      if (stack.length >= limits.maxDepth)
        return { ok: false, error: `elements are nested deeper than ${limits.maxDepth}` };
      stack.push(tag.el);
    }
  }
  if (stack.length > 0) return { ok: false, error: `<${stack[stack.length - 1]!.name}> is not closed` };
  return root ? { ok: true, value: root } : { ok: false, error: 'no root element' };
}

export const child = (el: XmlElement | undefined, name: string): XmlElement | undefined =>
  el?.children.find((c) => c.name === name);
