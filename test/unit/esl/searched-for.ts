// A spy on the searches that find an event's headers, for tests that pin which headers a reader looked for.

/**
 * The headers `fn` searched its event for: as a string (String#indexOf, the text the events were once decoded to)
 * or in the bytes (Buffer#indexOf / lastIndexOf).
 */
export function searchedFor(fn: () => void): string[] {
  const needles: string[] = [];
  const seen = (value: unknown) => {
    const text =
      typeof value === 'string' ? value : value instanceof Uint8Array ? Buffer.from(value).toString() : '';
    if (text.startsWith('\n') && text.endsWith(':')) needles.push(text.slice(1, -1));
  };
  const { indexOf: stringIndexOf } = String.prototype;
  const { indexOf, lastIndexOf } = Buffer.prototype;
  String.prototype.indexOf = function (this: string, needle: string, from?: number) {
    seen(needle);
    return stringIndexOf.call(this, needle, from);
  };
  Buffer.prototype.indexOf = function (this: Buffer, value: never, ...rest: never[]) {
    seen(value);
    return indexOf.call(this, value, ...rest);
  };
  Buffer.prototype.lastIndexOf = function (this: Buffer, value: never, ...rest: never[]) {
    seen(value);
    return lastIndexOf.call(this, value, ...rest);
  };
  try {
    fn();
  } finally {
    String.prototype.indexOf = stringIndexOf;
    Buffer.prototype.indexOf = indexOf;
    Buffer.prototype.lastIndexOf = lastIndexOf;
  }
  return needles;
}
