// Lints source texts as if they were files at the given paths, with the repository's own
// eslint.config.mjs, through ESLint's Node API; for tests (jest cannot load an ESM config in its
// VM). stdin: JSON [{ filePath, text }]. stdout: JSON { results: [{ filePath, messages }], layers }.
import { ESLint } from 'eslint';

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const inputs = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const eslint = new ESLint({ cwd: new URL('..', import.meta.url).pathname });
const results = [];
for (const { filePath, text } of inputs) {
  const [r] = await eslint.lintText(text, { filePath });
  results.push({
    filePath,
    messages: r.messages.map((m) => ({ ruleId: m.ruleId, line: m.line, message: m.message })),
  });
}
const config = await eslint.calculateConfigForFile('src/wire/fixture.ts');
const layers = config.rules['fleetgate/layers']?.[1]?.table;
process.stdout.write(JSON.stringify({ results, layers }));
