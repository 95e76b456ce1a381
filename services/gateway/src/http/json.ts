// Request JSON at the edge: a bound on nesting, checked on the raw text before anything recursive
// (JSON.parse, the schema reader, the idempotency hash) sees the value.

/** No request body of the contract nests deeper than 4; 32 leaves room and stops stack-exhausting input. */
export const MAX_JSON_DEPTH = 32;

/**
 * The deepest nesting of arrays and objects in `text`, counted in one pass without recursion and
 * stopping as soon as `limit` is passed (so the answer is at most limit + 1). Brackets inside strings
 * do not count. The text need not be valid JSON: the parser that runs next reports that.
 */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

export function tooDeep(text: string): boolean {
  return jsonDepth(text) > MAX_JSON_DEPTH;
}

export const TOO_DEEP_MESSAGE = `The request body nests deeper than ${MAX_JSON_DEPTH} levels`;
