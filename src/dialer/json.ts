// Task settings stored as JSON text (calling windows, retry rules): unreadable text counts as not set.
export const parseJsonOrUndefined = <T>(text: string | null): T | undefined => {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
};
