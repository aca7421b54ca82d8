import { defineCommand, parseCommandArgs, usageText, UsageError, wantsHelp, intOption } from '../../src/commands/command-args';
import { firstJsonError, jsonErrorAt, lineColumn } from '../../src/commands/json-location';
import { describeFetchError, displayUrl } from '../../clients/typescript/src/network-error';
import { megabytes, Progress } from '../../src/commands/progress';
import { TextSink } from '../helpers/text-sink';

const demo = defineCommand({
  synopsis: 'provml demo-cmd FILE [--url URL]',
  description: 'A command for the parser tests.',
  options: {
    url: { type: 'string', value: 'URL', help: 'the server' },
    quiet: { type: 'boolean', short: 'q', help: 'no progress' },
  },
  positionals: { min: 1, max: 1 },
  run: async () => 0,
});

describe('the shared command parser', () => {
  it('parses declared options and positionals', () => {
    expect(parseCommandArgs(demo, ['f.jsonl', '--url', 'http://x', '-q'])).toEqual({
      values: { url: 'http://x', quiet: true },
      positionals: ['f.jsonl'],
    });
    expect(parseCommandArgs(demo, ['--url=http://y', 'f']).values.url).toBe('http://y');
  });

  it.each([
    [['f', '--bogus'], 'unknown option --bogus'],
    [['f', '--url'], /--url/],
    [[], 'an argument is missing'],
    [['a', 'b'], 'unexpected argument b'],
  ])('refuses %j as a usage error', (args, message) => {
    expect(() => parseCommandArgs(demo, args)).toThrow(UsageError);
    expect(() => parseCommandArgs(demo, args)).toThrow(message);
  });

  it('sees --help and -h before --, and only there', () => {
    expect(wantsHelp(['x', '--help'])).toBe(true);
    expect(wantsHelp(['-h'])).toBe(true);
    expect(wantsHelp(['--', '--help'])).toBe(false);
    expect(wantsHelp(['--helpful'])).toBe(false);
  });

  it('prints the synopsis, the description and every option', () => {
    const text = usageText(demo);
    expect(text).toMatch(/^usage: provml demo-cmd FILE/);
    for (const s of ['--url URL', '-q, --quiet', '-h, --help', 'A command for the parser tests.']) expect(text).toContain(s);
  });

  it('checks whole-number options', () => {
    expect(intOption('batch', undefined, 7)).toBe(7);
    expect(intOption('batch', '12', 7)).toBe(12);
    for (const bad of ['0', '-1', '1.5', 'ten', '']) expect(() => intOption('batch', bad, 7)).toThrow(UsageError);
  });
});

describe('JSON error locations', () => {
  it.each([
    ['{"a":}', 5],
    ['{"a":1}}', 7],
    ['{"a":1', 6],
    ['[1,2,]', 5],
    ['{"a": tru}', 9], // where the 'e' of true should be
    ['{"a": "x\\q"}', 9],
    ['', 0],
    ['{"ok": [1, {"b": null}]}', 24],
  ])('finds the first bad character of %j', (text, offset) => {
    expect(firstJsonError(text)).toBe(offset);
    if (offset < text.length || text === '') expect(() => JSON.parse(text)).toThrow();
  });

  it('names the file, line and column', () => {
    const text = '{\n  "name": "w",\n}\n';
    let err: unknown;
    try {
      JSON.parse(text);
    } catch (e) {
      err = e;
    }
    expect(jsonErrorAt('spec.json', text, err)).toMatch(/^spec\.json:3:1: not valid JSON: /);
    expect(lineColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});

describe('network errors', () => {
  it('name the URL (without credentials or query) and the reason', () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) });
    expect(describeFetchError('http://u:p@127.0.0.1:9/graphql?token=s', refused)).toBe(
      'cannot reach http://127.0.0.1:9/graphql: connection refused',
    );
    expect(displayUrl('not a url')).toBe('not a url');
  });
});

describe('the progress line', () => {
  const sink = (isTTY: boolean) => Object.assign(new TextSink(), { isTTY });
  it('is drawn on a terminal, and ends with a newline', () => {
    const tty = sink(true);
    const p = new Progress(tty);
    p.update('1 / 2 events sent', true);
    p.done('2 / 2 events sent');
    expect(tty.text).toBe('\r\x1b[2K1 / 2 events sent\r\x1b[2K2 / 2 events sent\n');
  });
  it('stays silent on a pipe or with --quiet', () => {
    for (const [stream, quiet] of [
      [sink(false), false],
      [sink(true), true],
    ] as const) {
      const p = new Progress(stream, quiet);
      p.update('x', true);
      p.done('y');
      expect(stream.text).toBe('');
    }
    expect(megabytes(27_300_000)).toBe('27.3 MB');
  });
});
