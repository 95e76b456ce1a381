import { describe, expect, it } from 'vitest';
import { jsonDepth, MAX_JSON_DEPTH, tooDeep } from './json';

describe('jsonDepth', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    expect(jsonDepth('1')).toBe(0);
    expect(jsonDepth('{"a":[1,{"b":2}]}')).toBe(3);
    expect(jsonDepth('{"a":"[[[[{{{{"}')).toBe(1);
    expect(jsonDepth('{"a":"\\"[[["}')).toBe(1);
    expect(jsonDepth('[[],[[]],[]]')).toBe(3);
  });

  it('stops just past the limit on hostile input without recursing', () => {
    const deep = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
    expect(jsonDepth(deep)).toBe(MAX_JSON_DEPTH + 1);
    expect(tooDeep(deep)).toBe(true);
    expect(tooDeep('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH))).toBe(false);
  });
});
