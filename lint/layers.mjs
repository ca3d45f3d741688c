// Local ESLint rules for fleetgate's source tree (loaded by eslint.config.mjs).
//
// `layers`: each top-level folder of src/ names the folders it may import (an allow-list, so a
// new folder is refused until it is placed in the table). Relative imports are resolved to the
// folder they land in, so a barrel import (`'../acl'`), a deep one (`'../acl/token'`) and an
// `export … from` all count alike. A package can be refused too (`express` below the routers).
//
// `no-outside-citations`: comments must be checkable inside the repository, so a comment that
// cites a document outside it (the spec's sections, the design notes, the research anchors, the
// brief) is refused; restate the rule, or point to a file in docs/.
import fs from 'node:fs';
import path from 'node:path';

/**
 * The top-level src/ folder a path lies in; '' for a file directly in src/, undefined outside.
 * A path that names a folder itself (a barrel import, `'../acl'`) lies in that folder.
 */
const folderOf = (srcRoot, file) => {
  const rel = path.relative(srcRoot, file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const parts = rel.split(path.sep);
  if (parts.length > 1) return parts[0];
  return isDir(file) ? parts[0] : '';
};

const isDir = (p) => {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
};

const layers = {
  meta: {
    type: 'problem',
    docs: { description: 'a src/ folder imports only the folders and packages its layer allows' },
    schema: [
      {
        type: 'object',
        properties: {
          srcRoot: { type: 'string' },
          table: { type: 'object' },
        },
        required: ['srcRoot', 'table'],
        additionalProperties: false,
      },
    ],
    messages: {
      folder:
        "src/{{from}}/ may not import src/{{to}}/ ('{{spec}}'): the layer table in eslint.config.mjs allows {{allowed}}",
      pkg: "src/{{from}}/ may not import the package '{{spec}}' (layer table in eslint.config.mjs)",
      unplaced:
        'src/{{from}}/ is not in the layer table of eslint.config.mjs: add it with the folders it may import',
    },
  },
  create(context) {
    const { srcRoot, table } = context.options[0];
    const file = path.resolve(context.cwd, context.filename);
    const from = folderOf(srcRoot, file);
    if (from === undefined || from === '') return {};
    const entry = table[from];
    if (!entry) {
      return {
        Program(node) {
          context.report({ node, messageId: 'unplaced', data: { from } });
        },
      };
    }
    const allowed = new Set(entry.may ?? []);
    const refusedPackages = entry.notPackages ?? [];
    const check = (source) => {
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
      const spec = source.value;
      if (spec.startsWith('.')) {
        const to = folderOf(srcRoot, path.resolve(path.dirname(file), spec));
        if (to === undefined || to === '' || to === from || allowed.has(to)) return;
        const list = [...allowed].join(', ') || 'no other folder';
        context.report({ node: source, messageId: 'folder', data: { from, to, spec, allowed: list } });
        return;
      }
      if (refusedPackages.some((p) => spec === p || spec.startsWith(`${p}/`)))
        context.report({ node: source, messageId: 'pkg', data: { from, spec } });
    };
    return {
      ImportDeclaration: (n) => check(n.source),
      ExportAllDeclaration: (n) => check(n.source),
      ExportNamedDeclaration: (n) => check(n.source),
      ImportExpression: (n) => check(n.source),
      TSImportEqualsDeclaration: (n) => check(n.moduleReference?.expression),
      CallExpression: (n) => {
        if (n.callee.type === 'Identifier' && n.callee.name === 'require') check(n.arguments[0]);
      },
    };
  },
};

/** What a comment may not cite: documents that live outside the repository. */
export const OUTSIDE_CITATION = /§|\bdesign\.md\b|\banchors\.md\b|\bresearch\/|\bbrief(\s+item|:)/i;

const noOutsideCitations = {
  meta: {
    type: 'problem',
    docs: { description: 'comments cite only what is in the repository' },
    schema: [],
    messages: {
      cite: "this comment cites '{{what}}', a document outside the repository: restate the rule here, or point to docs/",
    },
  },
  create(context) {
    return {
      Program() {
        for (const c of context.sourceCode.getAllComments()) {
          c.value.split('\n').forEach((text, i) => {
            const m = OUTSIDE_CITATION.exec(text);
            if (!m) return;
            const line = c.loc.start.line + i;
            const loc = { start: { line, column: 0 }, end: { line, column: text.length } };
            context.report({ loc, messageId: 'cite', data: { what: m[0] } });
          });
        }
      },
    };
  },
};

export default { rules: { layers, 'no-outside-citations': noOutsideCitations } };
