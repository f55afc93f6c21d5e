/**
 * Ready-to-paste calls for a new key, against this deployment's real base URL. The key goes in
 * an environment variable once (the curl tab's `export` line); the calls read it from there, so
 * it does not spread through the code people copy. GET /v1/whoami answers any valid key.
 */
export interface Snippet {
  readonly language: 'curl' | 'JavaScript' | 'Python';
  readonly code: string;
}

/** Single-quoted for POSIX shells: a quote inside is closed, escaped and reopened. */
const shellQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

export function snippetsFor(baseUrl: string, key: string): readonly Snippet[] {
  const url = `${baseUrl.replace(/\/+$/, '')}/v1/whoami`;
  return [
    {
      language: 'curl',
      code: [`export KEYGATE_API_KEY=${shellQuote(key)}`, `curl -sS -H "Authorization: Bearer $KEYGATE_API_KEY" ${shellQuote(url)}`].join('\n'),
    },
    {
      language: 'JavaScript',
      code: [
        `// Node 18+ or a backend runtime; KEYGATE_API_KEY holds the key.`,
        `const res = await fetch(${JSON.stringify(url)}, {`,
        '  headers: { Authorization: `Bearer ${process.env.KEYGATE_API_KEY}` },',
        '});',
        'console.log(res.status, await res.json());',
      ].join('\n'),
    },
    {
      language: 'Python',
      code: [
        'import json, os, urllib.request',
        '',
        `req = urllib.request.Request(${JSON.stringify(url)},`,
        '    headers={"Authorization": "Bearer " + os.environ["KEYGATE_API_KEY"]})',
        'with urllib.request.urlopen(req) as res:',
        '    print(res.status, json.load(res))',
      ].join('\n'),
    },
  ];
}
